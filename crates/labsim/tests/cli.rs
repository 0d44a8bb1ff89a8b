//! The `labsim` command itself: up/status/down/reset, single instance, stale files, and
//! durability across `down`/`up` and a SIGKILL.

use testkit::{text, Sim};

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

#[test]
fn up_status_down_reset() {
    let sim = Sim::up(LABSIM);
    let kc = sim.kubeconfig.clone();
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&kc).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "kubeconfig must be 0600");
    let kubeconfig = std::fs::read_to_string(&kc).unwrap();
    assert!(
        kubeconfig.contains("current-context: labsim"),
        "{kubeconfig}"
    );
    assert!(kubeconfig.contains("https://127.0.0.1:"), "{kubeconfig}");

    let again = sim.labsim(&["up"]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("이미 실행 중"),
        "{}",
        text(&again)
    );

    let st = sim.labsim(&["status"]);
    assert!(st.status.success(), "{}", text(&st));
    assert!(String::from_utf8_lossy(&st.stdout).contains("실행 중"));

    let refused = sim.labsim(&["reset", "--yes"]);
    assert!(!refused.status.success(), "reset while running must refuse");

    let down = sim.labsim(&["down"]);
    assert!(down.status.success(), "{}", text(&down));
    let st = sim.labsim(&["status"]);
    assert_eq!(st.status.code(), Some(3), "{}", text(&st));

    let no = sim.labsim(&["reset"]);
    assert!(!no.status.success());
    assert!(
        String::from_utf8_lossy(&no.stderr).contains("--yes"),
        "{}",
        text(&no)
    );
    assert!(sim.state().join("store").exists());
    let yes = sim.labsim(&["reset", "--yes"]);
    assert!(yes.status.success(), "{}", text(&yes));
    assert!(!sim.state().exists());
}

#[test]
fn stale_pid_file_does_not_block_a_start() {
    let sim = Sim::up(LABSIM);
    let down = sim.labsim(&["down"]);
    assert!(down.status.success());
    // A pid file naming a process that is long gone, as after a crash.
    std::fs::write(sim.state().join("labsim.pid"), "999999").unwrap();
    let up = sim.labsim(&["up"]);
    assert!(up.status.success(), "{}", text(&up));
    sim.ok(&["get", "ns"]);
}

#[test]
fn objects_survive_down_up_and_sigkill() {
    let sim = Sim::up(LABSIM);
    sim.ok(&["create", "configmap", "keep", "--from-literal=a=1"]);
    let uid = sim.json(&["get", "cm", "keep"])["metadata"]["uid"].clone();

    assert!(sim.labsim(&["down"]).status.success());
    assert!(sim.labsim(&["up"]).status.success());
    assert_eq!(sim.json(&["get", "cm", "keep"])["metadata"]["uid"], uid);

    let pid: i32 = std::fs::read_to_string(sim.state().join("labsim.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    nix_kill(pid);
    let up = sim.labsim(&["up"]);
    assert!(up.status.success(), "{}", text(&up));
    let cm = sim.json(&["get", "cm", "keep"]);
    assert_eq!(cm["metadata"]["uid"], uid);
    assert_eq!(cm["data"]["a"], "1");
}

fn nix_kill(pid: i32) {
    let st = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    // Wait until the lock is released.
    for _ in 0..100 {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
