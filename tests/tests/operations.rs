//! Operator-facing behaviour of the binaries: migrations and the schema-version guard, `inkline
//! artist apply`, `inkline parse`, configuration errors, and graceful shutdown on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harness::TestEnv;
use infra::store::db::{SchemaError, check_schema, expected_version};
use std::process::Command;
use std::time::{Duration, Instant};

fn inkline(env: &TestEnv, args: &[&str]) -> std::process::Output {
    Command::new(TestEnv::binary("inkline"))
        .args(args)
        .envs(env.env_vars())
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_schema_guard_refuses_older_and_newer_databases() {
    let env = TestEnv::new().await;
    assert!(check_schema(&env.pool).await.is_ok());
    sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, 'future', true, '\\x00', 0)")
        .bind(expected_version() + 1)
        .execute(&env.pool)
        .await
        .unwrap();
    assert!(matches!(
        check_schema(&env.pool).await,
        Err(SchemaError::Newer { .. })
    ));
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&env.pool)
        .await
        .unwrap();
    assert!(matches!(
        check_schema(&env.pool).await,
        Err(SchemaError::Empty)
    ));
    let worker = Command::new(TestEnv::binary("inkline-worker"))
        .arg("relay")
        .envs(env.env_vars())
        .output()
        .unwrap();
    assert!(!worker.status.success());
    let err = String::from_utf8_lossy(&worker.stderr);
    assert!(err.contains("inkline migrate"), "{err}");
}

#[tokio::test]
async fn migrate_and_artist_apply_work_from_the_command_line() {
    let env = TestEnv::new().await;
    let out = inkline(&env, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = std::env::temp_dir().join(format!("inkline-{}", env.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("artist.toml");
    std::fs::write(&file, "slug = \"rosa\"\nname = \"Rosa Tattoo\"\nphone_number_id = \"200000000000002\"\ncurrency = \"EUR\"\ntimezone = \"Europe/Berlin\"\n").unwrap();
    let out = inkline(&env, &["artist", "apply", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created artist rosa"));
    let out = inkline(&env, &["artist", "apply", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("updated artist rosa"));
    let cfg: serde_json::Value =
        sqlx::query_scalar("SELECT config FROM artists WHERE slug = 'rosa'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(cfg["currency"], "EUR");
    assert_eq!(cfg["minimum_budget"]["EU"], 50000, "defaults are filled in");

    std::fs::write(
        &file,
        "slug = \"rosa\"\nname = \"Rosa\"\nphone_number_id = \"2\"\ntimezone = \"Mars/Base\"\n",
    )
    .unwrap();
    let out = inkline(&env, &["artist", "apply", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timezone"),
        "the bad field is named"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn parse_prints_one_json_value_and_takes_text_verbatim() {
    let run = |args: &[&str]| {
        let out = Command::new(TestEnv::binary("inkline"))
            .arg("parse")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(run(&["budget", "-400"]), "null");
    assert_eq!(run(&["budget", ""]), "null");
    assert_eq!(
        run(&["budget", "about 500 quid"]),
        r#"{"amount_minor":50000,"currency":"GBP"}"#
    );
    assert_eq!(
        run(&["dimensions", "4 by 6 inches"]),
        r#"{"height_cm":15.24,"width_cm":10.16}"#
    );
    assert_eq!(run(&["slot", "the second one", "--options", "3"]), "2");
    assert_eq!(run(&["intent", "STOP"]), r#""opt_out""#);
    let bad = Command::new(TestEnv::binary("inkline"))
        .args(["parse", "shoe_size", "42"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn a_missing_required_setting_is_one_clear_line() {
    let out = Command::new(TestEnv::binary("inkline-ingress"))
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("WHATSAPP_APP_SECRET is not set"), "{err}");
    let out = Command::new(TestEnv::binary("inkline-worker"))
        .arg("relay")
        .env_clear()
        .env("DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL is malformed"));
    let out = Command::new(TestEnv::binary("inkline-worker"))
        .arg("cook")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn sigterm_stops_a_worker_gracefully() {
    let env = TestEnv::new().await;
    let mut child =
        env.spawn_worker_process(&["conversation", "relay", "sender", "reminders"], &[]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
