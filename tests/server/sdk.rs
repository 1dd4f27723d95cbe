//! The official AWS SDK accepts the server: `tests/sdk/botocore_smoke.py` drives a real botocore
//! WorkDocs client (request validation, SigV4 signing, model-driven response parsing and error
//! codes) through the whole API against a fresh server.

use std::process::Command;
use std::time::Instant;

use super::harness::{ADMIN_ID, ADMIN_SECRET, ALICE, BOB, Server};

/// Whether `python3` can import botocore. Without it the test fails under CI (which installs
/// it) and is skipped, loudly, on a developer's machine.
fn botocore_available() -> bool {
    Command::new("python3")
        .args(["-c", "import botocore"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn official_botocore_sdk_accepts_the_server() {
    if !botocore_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `python3 -c 'import botocore'` fails: install it (pip install botocore)"
        );
        eprintln!(
            "\n*** NOTE: official_botocore_sdk_accepts_the_server SKIPPED: python3 cannot import \
             botocore (pip install botocore to run it; under CI it is required) ***\n"
        );
        return;
    }
    let s = Server::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/botocore_smoke.py");
    let started = Instant::now();
    let out = Command::new("python3")
        .arg(script)
        .args([s.base.as_str(), ALICE, BOB, ADMIN_ID, ADMIN_SECRET])
        .output()
        .expect("run python3");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "botocore smoke failed ({}) after {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n\
         --- server log\n{}",
        out.status,
        started.elapsed(),
        s.log()
    );
    assert!(
        stdout.contains("botocore smoke: ") && stdout.contains(" calls OK"),
        "no summary line\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    eprintln!(
        "{} ({:?})",
        stdout.lines().last().unwrap_or_default(),
        started.elapsed()
    );
}
