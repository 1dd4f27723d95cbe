//! The helper's translation of mount(8)'s arguments, option by option.
use super::*;

fn specs() -> Vec<OptionSpec> {
    [
        ("endpoint", true),
        ("token-file", true),
        ("read-only", false),
        ("allow-other", false),
        ("uid", true),
        ("gid", true),
        ("umask", true),
        ("cache-dir", true),
        ("log-file", true),
        ("daemon", false),
        ("config", true),
        ("profile", true),
    ]
    .map(|(n, v)| OptionSpec {
        name: n.into(),
        takes_value: v,
    })
    .to_vec()
}

fn root() -> Places {
    Places {
        root: true,
        ..Places::default()
    }
}

fn call(args: &[&str]) -> HelperArgs {
    let mut argv = vec!["mount.docsfs"];
    argv.extend_from_slice(args);
    HelperArgs::try_parse_from(argv).unwrap()
}

fn run(args: &[&str], places: &Places) -> Result<Translation, HelperError> {
    translate(&call(args), &specs(), places)
}

fn strings(v: &[OsString]) -> Vec<String> {
    v.iter().map(|a| a.to_string_lossy().into_owned()).collect()
}

#[test]
fn an_fstab_line_becomes_a_daemon_mount_of_the_profile() {
    // What mount(8) passes for
    // `docsfs#work /mnt/docs fuse.docsfs _netdev,config=/etc/d.toml,allow_other,ro,uid=5 0 0`.
    let t = run(
        &[
            "docsfs#work",
            "/mnt/docs",
            "-o",
            "rw,config=/etc/d.toml,allow_other,_netdev,ro,uid=5,umask=077,nofail",
        ],
        &root(),
    )
    .unwrap();
    assert_eq!(
        strings(&t.argv),
        [
            "docsfs",
            "mount",
            "--config=/etc/d.toml",
            "--profile=work",
            "--allow-other",
            "--read-only",
            "--uid=5",
            "--umask=077",
            "--fs-name=docsfs#work",
            "--daemon",
            "--",
            "/mnt/docs"
        ]
    );
    assert_eq!(strings(&t.defaults), ["--cache-dir=/var/cache/docsfs/work"]);
    assert!(t.warnings.is_empty());
}

#[test]
fn the_default_config_and_cache_follow_the_user() {
    let as_root = run(&["work", "/m"], &root()).unwrap();
    assert!(strings(&as_root.argv).contains(&"--config=/etc/docsfs.toml".to_owned()));
    let user = Places {
        root: false,
        home: Some("/home/a".into()),
        ..Places::default()
    };
    let t = run(&["work", "/m"], &user).unwrap();
    assert!(strings(&t.argv).contains(&"--config=/home/a/.config/docsfs/config.toml".to_owned()));
    assert_eq!(
        strings(&t.defaults),
        ["--cache-dir=/home/a/.cache/docsfs/work"]
    );
    // DOCSFS_CACHE_DIR in the environment is the default instead.
    let env = Places {
        cache_dir_from_env: true,
        ..root()
    };
    assert!(run(&["work", "/m"], &env).unwrap().defaults.is_empty());
    // An odd profile name is still one folder.
    let odd = run(&["-o", "profile=../x/y", "none", "/m"], &root()).unwrap();
    assert_eq!(
        strings(&odd.defaults),
        ["--cache-dir=/var/cache/docsfs/.._x_y"]
    );
}

#[test]
fn a_url_source_is_the_endpoint_and_needs_no_config() {
    let t = run(
        &[
            "https://docs.example.com",
            "/m",
            "-o",
            "token_file=/etc/t",
            "-o",
            "log-file=/var/log/d.log",
        ],
        &root(),
    )
    .unwrap();
    assert_eq!(
        strings(&t.argv),
        [
            "docsfs",
            "mount",
            "--endpoint=https://docs.example.com",
            "--token-file=/etc/t",
            "--log-file=/var/log/d.log",
            "--fs-name=https://docs.example.com",
            "--daemon",
            "--",
            "/m"
        ]
    );
    // `profile=` names the profile whatever SOURCE says.
    let t = run(&["docsfs", "/m", "-o", "profile=p,config=/c"], &root()).unwrap();
    assert!(strings(&t.argv).contains(&"--profile=p".to_owned()));
}

#[test]
fn quoted_values_keep_their_commas() {
    assert_eq!(
        split_options(r#"config="/etc/a,b.toml",ro,,x"#),
        ["config=/etc/a,b.toml", "ro", "x"]
    );
}

#[test]
fn mistakes_are_named_and_sloppy_skips_unknown_ones() {
    let e = |opts: &str| run(&["w", "/m", "-o", opts], &root()).unwrap_err();
    assert_eq!(e("bogus=1"), HelperError::Unknown("bogus".into()));
    assert_eq!(e("umask"), HelperError::NeedsValue("umask".into()));
    assert_eq!(e("config"), HelperError::NeedsValue("config".into()));
    assert_eq!(
        e("allow_other=yes"),
        HelperError::TakesNoValue("allow_other".into())
    );
    assert_eq!(e("daemon"), HelperError::Reserved("daemon".into()));
    assert_eq!(e("fs_name=x"), HelperError::Reserved("fs_name".into()));
    assert!(e("bogus").to_string().contains("man mount.docsfs"));
    let t = run(
        &["-s", "w", "/m", "-o", "bogus,default_permissions,ro"],
        &root(),
    )
    .unwrap();
    assert_eq!(t.warnings.len(), 2);
    assert!(strings(&t.argv).contains(&"--read-only".to_owned()));
    let ns = translate(&call(&["-N", "123", "w", "/m"]), &specs(), &root()).unwrap_err();
    assert_eq!(ns, HelperError::Namespace);
}

#[test]
fn mount8_only_options_are_dropped() {
    let t = run(
        &[
            "-snv",
            "w",
            "/m",
            "-o",
            "defaults,noauto,user,users,nouser,owner,group,nodev,nosuid,noexec,exec,noatime,\
             relatime,x-systemd.automount,x-systemd.requires=a.service,comment=x,async,sync",
        ],
        &root(),
    )
    .unwrap();
    assert_eq!(
        strings(&t.argv),
        [
            "docsfs",
            "mount",
            "--config=/etc/docsfs.toml",
            "--profile=w",
            "--fs-name=w",
            "--daemon",
            "--",
            "/m"
        ]
    );
    assert!(t.warnings.is_empty());
}

#[test]
fn without_a_log_file_only_warnings_reach_the_terminal() {
    let argv = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
    let quiet = quiet_default(&argv(&["docsfs", "mount", "--endpoint=e", "/m"]), false);
    assert_eq!(quiet, Some("--log-level=warn".into()));
    assert_eq!(quiet_default(&argv(&["docsfs", "mount", "/m"]), true), None);
    let with_file = argv(&["docsfs", "mount", "--log-file=/l", "/m"]);
    assert_eq!(quiet_default(&with_file, false), None);
    let with_level = argv(&["docsfs", "mount", "--log-level", "debug", "/m"]);
    assert_eq!(quiet_default(&with_level, false), None);
}

#[test]
fn the_verbose_line_is_quoted_for_a_shell() {
    let argv: Vec<OsString> = ["docsfs", "mount", "--config=/a b", "it's"]
        .map(OsString::from)
        .to_vec();
    assert_eq!(shown(&argv), r#"docsfs mount '--config=/a b' 'it'\''s'"#);
}
