//! `docsfs mount`'s option parsing and endpoint checks.
use super::*;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: MountArgs,
}

#[test]
fn cache_sizes_parse_with_suffixes() {
    assert_eq!(parse_size("0"), Ok(0));
    assert_eq!(parse_size("512M"), Ok(512 << 20));
    assert_eq!(parse_size("4G"), Ok(4 << 30));
    assert_eq!(parse_size("4GiB"), Ok(4 << 30));
    assert_eq!(parse_size("64k"), Ok(64 << 10));
    assert_eq!(parse_size("1048576"), Ok(1 << 20));
    assert!(parse_size("4X").is_err());
    assert!(parse_size("lots").is_err());
    assert!(parse_size("99999999T").is_err());
    let a = args("http://127.0.0.1:1", &["--cache-size", "0"]);
    assert_eq!(fs_config(&a).content.map(|c| c.limit), Some(0));
}

fn args(endpoint: &str, extra: &[&str]) -> MountArgs {
    let mut argv = vec!["mount", "--endpoint", endpoint];
    argv.extend_from_slice(extra);
    argv.push("/mnt");
    Cli::try_parse_from(argv).unwrap().args
}

#[test]
fn plain_http_to_another_host_needs_the_flag() {
    let refused = check_endpoint(&args("http://10.0.0.7:8080", &[])).unwrap_err();
    let shown = format!("{refused:#}");
    assert!(shown.contains("--allow-insecure-http"), "{shown}");
    assert!(shown.contains("unencrypted"), "{shown}");
    let allowed = args("http://10.0.0.7:8080", &["--allow-insecure-http"]);
    assert!(allowed.allow_insecure_http);
    check_endpoint(&allowed).unwrap();
    // Loopback and https need no flag; the flag excuses nothing but plain http.
    check_endpoint(&args("http://127.0.0.1:8080", &[])).unwrap();
    check_endpoint(&args("https://dms.example.com/logicaldoc", &[])).unwrap();
    let with_password = args("http://u:hunter2@10.0.0.7", &["--allow-insecure-http"]);
    let refused = format!("{:#}", check_endpoint(&with_password).unwrap_err());
    assert!(
        refused.contains("credentials") && !refused.contains("hunter2"),
        "{refused}"
    );
}

#[test]
fn the_bin_record_of_an_allowed_plain_endpoint_uses_its_canonical_form() {
    let auth = LogicalDocAuth::Password {
        user: "alice".into(),
        password: "pw".into(),
    };
    let cache = Path::new("/c");
    let a = trash_dir(cache, "http://DMS.lan:80/ld/", &auth, true);
    let b = trash_dir(cache, "http://dms.lan/ld", &auth, true);
    assert_eq!(a, b);
}
