//! The deploy files stay in step with the code: every worker role has a compose service and a
//! Kubernetes Deployment, every environment variable they set is one the binaries read, and the demo
//! artist file is the one the sandbox seeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use inkline_core::domain::ArtistConfig;
use workers::Role;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_role_is_deployed_in_compose_and_kubernetes() {
    let compose = read("docker-compose.yml");
    let k8s = read("deploy/k8s/50-workers.yaml");
    for role in Role::ALL {
        let cmd = format!("command: [\"inkline-worker\", \"{}\"]", role.as_str());
        assert!(compose.contains(&cmd), "compose lacks {cmd}");
        assert!(k8s.contains(&cmd), "k8s lacks {cmd}");
    }
    for bin in [
        "command: [\"inkline-ingress\"]",
        "command: [\"inkline\", \"serve\"]",
        "command: [\"inkline\", \"migrate\"]",
    ] {
        assert!(compose.contains(bin), "compose lacks {bin}");
    }
}

#[test]
fn deploy_files_only_set_variables_the_binaries_read() {
    let config = read("shared/infra/src/config.rs");
    let known = |name: &str| {
        config.contains(&format!("\"{name}\"")) || ["RUST_LOG", "LOG_FORMAT"].contains(&name)
    };
    for file in ["docker-compose.yml", "deploy/k8s/10-config.yaml"] {
        for line in read(file).lines() {
            let t = line.trim();
            let Some((key, _)) = t.split_once(':') else {
                continue;
            };
            let is_env_name =
                key.len() > 3 && key.chars().all(|c| c.is_ascii_uppercase() || c == '_');
            if is_env_name && !key.starts_with("POSTGRES_") {
                assert!(known(key), "{file} sets {key}, which no binary reads");
            }
        }
    }
}

#[test]
fn the_demo_artist_file_is_the_seeded_demo_artist() {
    let file = ArtistConfig::from_toml(&read("deploy/local/demo-artist.toml")).unwrap();
    assert_eq!(file, ArtistConfig::demo());
}

#[test]
fn queue_alerts_fire_at_half_and_ninety_percent_of_the_default_queue_length() {
    let alerts = read("deploy/prometheus/alerts.yml");
    let max = infra::config::QueueLimits::DEFAULT_WORK;
    for (alert, threshold) in [
        ("InklineQueueFilling", max / 2),
        ("InklineQueueNearlyFull", max * 9 / 10),
    ] {
        let rule = alerts
            .split("- alert: ")
            .find(|r| r.starts_with(alert))
            .unwrap_or_else(|| panic!("{alert} is missing"));
        assert!(
            rule.contains(&format!("> {threshold}\n")),
            "{alert} should fire above {threshold}: {rule}"
        );
    }
}

/// `promtool test rules` on the alert unit tests, where promtool is installed (`apt-get install
/// prometheus`); the deploy files are checked without it above.
#[test]
fn alert_rules_pass_their_promtool_tests() {
    let dir = format!("{}/../deploy/prometheus", env!("CARGO_MANIFEST_DIR"));
    let out = match std::process::Command::new("promtool")
        .args(["test", "rules", "alerts_test.yml"])
        .current_dir(&dir)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("promtool not installed: alert unit tests not run");
            return;
        }
        Err(e) => panic!("promtool: {e}"),
    };
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
