//! `docsfs mount --config FILE [--profile NAME]`: mount settings from a TOML file. Each table is
//! a profile; its keys are `docsfs mount`'s long options (`endpoint = "https://…"`,
//! `token-file = "/etc/docsfs/work.token"`, `metadata-ttl = 120`, `read-only = true`), and keys
//! outside any table apply to every profile. The chosen profile becomes command-line options
//! placed before the ones actually given, so the command line wins and every setting gets the
//! same checks as on the command line. Secrets stay in their own files: the config names them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What went wrong with a config file (each is one line for the user).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the config file {0} is not valid TOML: {1}")]
    Syntax(PathBuf, String),
    #[error("{0} has no profile [{1}]{2}")]
    NoProfile(PathBuf, String, String),
    #[error("{0} has several profiles ({1}): choose one with --profile NAME")]
    Ambiguous(PathBuf, String),
    #[error("{0}: `{1}` is not a `docsfs mount` option")]
    UnknownKey(PathBuf, String),
    #[error("{0}: `{1}` must be a string, a number or true/false")]
    BadValue(PathBuf, String),
    #[error("--config and --profile need a value")]
    MissingValue,
}

/// Settings a config file may not hold: what chooses the file, and what is not a setting.
const NOT_SETTINGS: &[&str] = &["config", "profile", "help", "version"];

/// `argv` with the chosen profile's settings inserted after `mount`, if it names `--config`.
/// `options` are the long options `docsfs mount` takes.
pub fn expand(argv: Vec<OsString>, options: &[String]) -> Result<Vec<OsString>, ConfigError> {
    let Some(at) = argv.iter().position(|a| a == "mount") else {
        return Ok(argv);
    };
    let (config, profile) = find_choice(&argv[at + 1..])?;
    let Some(config) = config else {
        return Ok(argv);
    };
    let settings = load(&config, profile.as_deref(), options)?;
    let mut out = argv[..=at].to_vec();
    out.extend(settings);
    out.extend_from_slice(&argv[at + 1..]);
    Ok(out)
}

/// The values of `--config` and `--profile` among `args`.
fn find_choice(args: &[OsString]) -> Result<(Option<PathBuf>, Option<String>), ConfigError> {
    let (mut config, mut profile) = (None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        for (name, slot) in [("--config", 0), ("--profile", 1)] {
            let value = if a == name {
                Some(
                    it.next()
                        .ok_or(ConfigError::MissingValue)?
                        .to_string_lossy()
                        .into_owned(),
                )
            } else {
                a.strip_prefix(&format!("{name}=")).map(str::to_owned)
            };
            match (value, slot) {
                (Some(v), 0) => config = Some(PathBuf::from(v)),
                (Some(v), _) => profile = Some(v),
                (None, _) => {}
            }
        }
    }
    Ok((config, profile))
}

/// The command-line options the profile stands for.
fn load(
    path: &Path,
    profile: Option<&str>,
    options: &[String],
) -> Result<Vec<OsString>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax(path.into(), one_line(&e.to_string())))?;
    let (shared, profiles): (Vec<_>, Vec<_>) = doc.iter().partition(|(_, v)| !v.is_table());
    let names: Vec<&str> = profiles.iter().map(|(k, _)| k.as_str()).collect();
    let chosen = match profile {
        Some(p) => Some(
            profiles
                .iter()
                .find(|(k, _)| k.as_str() == p)
                .ok_or_else(|| {
                    let known = if names.is_empty() {
                        String::new()
                    } else {
                        format!(" (it has {})", names.join(", "))
                    };
                    ConfigError::NoProfile(path.into(), p.to_owned(), known)
                })?
                .1,
        ),
        None => match profiles.as_slice() {
            [] => None,
            [(_, only)] => Some(*only),
            _ => match doc.get("default") {
                Some(d) if d.is_table() => Some(d),
                _ => return Err(ConfigError::Ambiguous(path.into(), names.join(", "))),
            },
        },
    };
    let mut out = Vec::new();
    let table_entries = chosen
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.iter());
    for (key, value) in shared.into_iter().chain(table_entries) {
        let option = key.replace('_', "-");
        if NOT_SETTINGS.contains(&option.as_str()) || !options.contains(&option) {
            return Err(ConfigError::UnknownKey(path.into(), key.clone()));
        }
        match value {
            toml::Value::Boolean(true) => out.push(format!("--{option}").into()),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => out.push(format!("--{option}={s}").into()),
            toml::Value::Integer(n) => out.push(format!("--{option}={n}").into()),
            toml::Value::Float(f) => out.push(format!("--{option}={f}").into()),
            _ => return Err(ConfigError::BadValue(path.into(), key.clone())),
        }
    }
    Ok(out)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Vec<String> {
        [
            "endpoint",
            "token-file",
            "metadata-ttl",
            "read-only",
            "backend",
        ]
        .map(String::from)
        .to_vec()
    }

    fn run(text: &str, argv: &[&str]) -> Result<Vec<String>, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docsfs.toml");
        std::fs::write(&file, text).unwrap();
        let mut args: Vec<OsString> = vec!["docsfs".into(), "mount".into()];
        args.push(format!("--config={}", file.display()).into());
        args.extend(argv.iter().map(OsString::from));
        let out = expand(args, &options())?;
        Ok(out
            .into_iter()
            .skip(2)
            .map(|a| a.into_string().unwrap())
            .filter(|a| !a.starts_with("--config"))
            .collect())
    }

    const TWO: &str = r#"
        metadata-ttl = 5
        [work]
        endpoint = "https://docs.example.com"
        token_file = "/etc/docsfs/work.token"
        read-only = true
        [home]
        backend = "logicaldoc"
        endpoint = "https://dms.example.com/logicaldoc"
        read-only = false
    "#;

    #[test]
    fn a_profile_becomes_options_before_the_command_line() {
        let got = run(TWO, &["--profile", "work", "--metadata-ttl", "9", "/mnt"]).unwrap();
        assert_eq!(
            got,
            [
                "--metadata-ttl=5",
                "--endpoint=https://docs.example.com",
                "--read-only",
                "--token-file=/etc/docsfs/work.token",
                "--profile",
                "work",
                "--metadata-ttl",
                "9",
                "/mnt"
            ]
        );
        let home = run(TWO, &["--profile=home"]).unwrap();
        assert!(home.contains(&"--backend=logicaldoc".to_owned()));
        assert!(!home.iter().any(|a| a == "--read-only"));
    }

    #[test]
    fn mistakes_are_named() {
        let e = run(TWO, &[]).unwrap_err().to_string();
        assert!(e.contains("several profiles (home, work)"), "{e}");
        let e = run(TWO, &["--profile", "play"]).unwrap_err().to_string();
        assert!(e.contains("no profile [play] (it has home, work)"), "{e}");
        let e = run("[p]\nendpont = \"x\"\n", &[]).unwrap_err().to_string();
        assert!(
            e.contains("`endpont` is not a `docsfs mount` option"),
            "{e}"
        );
        let e = run("[p]\nconfig = \"x\"\n", &[]).unwrap_err().to_string();
        assert!(e.contains("`config`"), "{e}");
        let e = run("[p\nendpoint = 1\n", &[]).unwrap_err().to_string();
        assert!(e.contains("not valid TOML") && !e.contains('\n'), "{e}");
        let e = run("[p]\nendpoint = [1]\n", &[]).unwrap_err().to_string();
        assert!(e.contains("must be a string"), "{e}");
        // One profile, or one named `default`, needs no --profile.
        assert_eq!(
            run("[only]\nendpoint = \"e\"\n", &[]).unwrap(),
            ["--endpoint=e"]
        );
        let with_default = "[default]\nendpoint = \"d\"\n[x]\nendpoint = \"x\"\n";
        assert_eq!(run(with_default, &[]).unwrap(), ["--endpoint=d"]);
    }

    #[test]
    fn no_config_no_change() {
        let argv: Vec<OsString> = ["docsfs", "mount", "--endpoint", "e", "/mnt"]
            .map(OsString::from)
            .to_vec();
        assert_eq!(expand(argv.clone(), &options()).unwrap(), argv);
    }
}
