//! The console's web pages over HTTP: sign-in required everywhere, the admin key and artist keys,
//! CSRF refusals, artist scoping, the lead page and its actions (303 / 409), queues with replay,
//! the funnel, media, action links, and escaping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use console_support::{
    ADMIN_KEY, Browser, client, location, seed_artist, seed_lead, start_console,
};
use harness::TestEnv;
use reqwest::StatusCode;

#[tokio::test]
async fn every_page_needs_sign_in_and_comes_back_after_it() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(&env, env.artist_id, "447700900111", "Sam", "QUALIFYING", 1).await;
    let lead_page = format!("/leads/{id}");
    let mut pages: Vec<String> = console::pages::PAGES
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    pages.extend([lead_page.clone(), "/media/123".into()]);
    for p in &pages {
        let r = client().get(console.url(p)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{p}");
        assert!(
            location(&r).starts_with("/login?next="),
            "{p}: {}",
            location(&r)
        );
    }
    for (p, form) in [
        (format!("{lead_page}/actions/handover"), vec![("csrf", "x")]),
        (
            "/queues/outbound.whatsapp/replay".to_owned(),
            vec![("csrf", "x")],
        ),
        ("/logout".to_owned(), vec![("csrf", "x")]),
    ] {
        let r = client()
            .post(console.url(&p))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "POST {p} without a session"
        );
    }
    assert_eq!(env.count("SELECT count(*) FROM system_events").await, 0);

    let mut b = Browser::new(&console);
    let csrf = b
        .csrf(&format!(
            "/login?next={}",
            console::session::url_encode(&lead_page)
        ))
        .await;
    let r = b
        .post(
            "/login",
            &[("csrf", &csrf), ("key", ADMIN_KEY), ("next", &lead_page)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        lead_page,
        "back to where the person was going"
    );
    for p in console::pages::PAGES {
        let r = b.get(p).await;
        assert_eq!(r.status(), 200, "{p}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<!DOCTYPE html>") && html.contains("Sign out"),
            "{p}"
        );
    }
    let r = b.get("/leads/not-a-lead").await;
    assert_eq!(r.status(), 404);
    let r = b.get(&format!("/leads/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn sign_in_refuses_bad_keys_and_forged_forms_and_sign_out_ends_the_session() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let mut b = Browser::new(&console);
    let csrf = b.csrf("/login").await;
    let r = b.post("/login", &[("csrf", &csrf), ("key", "wrong")]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("That key is not valid"));
    let r = b
        .post("/login", &[("csrf", "forged"), ("key", ADMIN_KEY)])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "login CSRF");
    let r = client()
        .post(console.url("/login"))
        .form(&[("csrf", "x"), ("key", ADMIN_KEY)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "no session cookie at all"
    );

    // A next pointing elsewhere goes home instead.
    let csrf = b.csrf("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("key", ADMIN_KEY),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, "/".to_owned())
    );
    let session_cookie = b.cookie.clone().unwrap();
    assert_ne!(
        csrf,
        b.csrf("/leads").await,
        "a new CSRF token after sign-in"
    );

    let r = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = b.csrf("/leads").await;
    let r = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, "/login".to_owned())
    );
    assert_eq!(b.get("/leads").await.status(), StatusCode::SEE_OTHER);

    // A tampered cookie is no session.
    let tampered = session_cookie.replacen("inkline_session=", "inkline_session=x", 1);
    let r = client()
        .get(console.url("/leads"))
        .header("cookie", tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_is_disabled_without_any_secret() {
    let env = TestEnv::new().await;
    let console = start_console(&env, None, &[]).await;
    let r = client().get(console.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Sign-in is disabled"));
}

#[tokio::test]
async fn an_artist_key_sees_only_that_artists_leads() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let other = seed_artist(&env, "other", "100000000000009").await;
    let mine = seed_lead(&env, env.artist_id, "447700900201", "Mine", "QUALIFYING", 2).await;
    let theirs = seed_lead(&env, other, "447700900202", "Theirs", "QUALIFYING", 1).await;
    let keys = console::auth::Keys::new(Some(infra::config::Secret::new(ADMIN_KEY)), None);
    let demo_key = keys.artist_key("demo").unwrap();

    // The admin sees the key on the Artists page.
    let mut admin = Browser::new(&console);
    admin.login(ADMIN_KEY).await;
    assert!(
        admin
            .get("/artists")
            .await
            .text()
            .await
            .unwrap()
            .contains(&demo_key)
    );

    let mut b = Browser::new(&console);
    let forged = demo_key.replacen("demo.", "other.", 1);
    assert_eq!(b.login(&forged).await.status(), StatusCode::UNAUTHORIZED);
    let r = b.login(&demo_key).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = b.get("/leads?artist=other").await.text().await.unwrap();
    assert!(
        list.contains("Mine") && !list.contains("Theirs"),
        "scoped to demo whatever the query says"
    );
    assert_eq!(b.get(&format!("/leads/{mine}")).await.status(), 200);
    assert_eq!(b.get(&format!("/leads/{theirs}")).await.status(), 404);
    let csrf = b.csrf(&format!("/leads/{mine}")).await;
    let r = b
        .post(
            &format!("/leads/{theirs}/actions/handover"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 404, "no actions on another artist's lead");
    assert_eq!(b.get("/queues").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.get("/artists").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.get("/funnel").await.status(), 200);
    let r = b
        .post("/queues/outbound.whatsapp/replay", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The artist's sign-in is not an API key.
    let r = client()
        .get(console.url("/admin/leads"))
        .header("X-Admin-API-Key", &demo_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_lead_page_shows_the_lead_and_its_actions_need_the_csrf_token() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(
        &env,
        env.artist_id,
        "447700900123",
        "<script>alert(1)</script>",
        "QUALIFYING",
        2,
    )
    .await;
    sqlx::query(
        "INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, provider_id, status)
         VALUES ($1, $2, $3, 'out', 'client', '447700900123', 'text', 'What would you like tattooed?', 'wamid.X', 'read')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(id)
    .bind(env.artist_id)
    .execute(&env.pool)
    .await
    .unwrap();
    let mut b = Browser::new(&console);
    b.login(ADMIN_KEY).await;
    let page = format!("/leads/{id}");
    let html = b.get(&page).await.text().await.unwrap();
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "names are escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for text in [
        "fine-line swallow",
        "£600.00",
        "MEDIUM",
        "£150.00",
        "What would you like tattooed?",
        "tick-read",
        "Take over the chat",
        "Reply as the artist",
    ] {
        assert!(html.contains(text), "the lead page shows {text}");
    }
    assert!(
        !html.contains("Approve"),
        "approval does not apply while qualifying"
    );

    let action = format!("{page}/actions/handover");
    let r = b.post(&action, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let r = b.post(&action, &[("csrf", "forged")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a wrong CSRF token");
    let status: String = sqlx::query_scalar("SELECT status FROM leads WHERE id = $1")
        .bind(id)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(status, "QUALIFYING", "nothing happened");

    let csrf = b.csrf(&page).await;
    let r = b.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(
        (r.status(), location(&r)),
        (StatusCode::SEE_OTHER, format!("{page}?done=handover"))
    );
    let html = b
        .get(&format!("{page}?done=handover"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Done: handover.")
            && html.contains("NEEDS_ARTIST_REPLY")
            && html.contains("Give it back to the bot")
    );
    assert!(html.contains("artist_action"), "the audit event is listed");

    // Handover again: 409 with the reason on the page.
    let r = b.post(&action, &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not possible while the lead is NEEDS_ARTIST_REPLY")
    );
    let r = b
        .post(
            &format!("{page}/actions/reply"),
            &[("csrf", &csrf), ("text", "Hello from the artist")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            &format!("{page}/actions/reply"),
            &[("csrf", &csrf), ("text", "   ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(&format!("{page}/actions/dance"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_leads_list_filters_searches_and_pages() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    for i in 0..30 {
        seed_lead(
            &env,
            env.artist_id,
            &format!("4477009005{i:02}"),
            &format!("Client{i:02}"),
            if i == 7 {
                "PENDING_APPROVAL"
            } else {
                "QUALIFYING"
            },
            100 - i,
        )
        .await;
    }
    let mut b = Browser::new(&console);
    b.login(ADMIN_KEY).await;
    let first = b.get("/leads").await.text().await.unwrap();
    assert!(
        first.contains("Client29") && !first.contains("Client04"),
        "newest 25 first"
    );
    let at = first.find("cursor=").expect("an Older link");
    let cursor: String = first[at + 7..]
        .chars()
        .take_while(|c| *c != '"' && *c != '&')
        .collect();
    let older = b
        .get(&format!("/leads?cursor={cursor}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(older.contains("Client04") && !older.contains("Client29"));
    let pending = b
        .get("/leads?status=PENDING_APPROVAL")
        .await
        .text()
        .await
        .unwrap();
    assert!(pending.contains("Client07") && !pending.contains("Client08"));
    let search = b.get("/leads?q=client1").await.text().await.unwrap();
    assert!(search.contains("Client12") && !search.contains("Client22"));
    let by_number = b.get("/leads?q=900529").await.text().await.unwrap();
    assert!(by_number.contains("Client29") && !by_number.contains("Client28"));
    let odd = b.get("/leads?q=%25_%5C").await;
    assert_eq!(odd.status(), 200, "LIKE wildcards are taken literally");
    assert!(odd.text().await.unwrap().contains("No leads match"));
}

#[tokio::test]
async fn queues_show_dead_letters_and_replay_them_with_csrf() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let conn = lapin::Connection::connect(&env.amqp_url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    // With confirms, the message is in the queue before the page reads its depth.
    ch.confirm_select(Default::default()).await.unwrap();
    ch.basic_publish(
        "".into(),
        "jobs.sheets.dlq".into(),
        Default::default(),
        b"{}",
        Default::default(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let mut b = Browser::new(&console);
    b.login(ADMIN_KEY).await;
    let html = b.get("/queues").await.text().await.unwrap();
    assert!(
        html.contains("jobs.sheets") && html.contains("/queues/jobs.sheets/replay"),
        "{html}"
    );
    let r = b
        .post("/queues/jobs.sheets/replay", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(env.queue_depth("jobs.sheets.dlq").await, 1);
    let csrf = b.csrf("/queues").await;
    let r = b
        .post("/queues/jobs.sheets/replay", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        b.get(&location(&r))
            .await
            .text()
            .await
            .unwrap()
            .contains("Replayed 1 message(s) from jobs.sheets.dlq")
    );
    assert_eq!(env.queue_depth("jobs.sheets.dlq").await, 0);
    assert_eq!(env.queue_depth("jobs.sheets").await, 1);
    assert_eq!(
        b.post("/queues/nope/replay", &[("csrf", &csrf)])
            .await
            .status(),
        404
    );
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test]
async fn a_paused_artist_is_shown_and_resumed_from_the_artists_page_with_csrf() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    assert!(
        infra::store::artists::pause_sending(&env.pool, env.artist_id, "token expired (190)")
            .await
            .unwrap()
    );
    let mut b = Browser::new(&console);
    b.login(ADMIN_KEY).await;
    let html = b.get("/artists").await.text().await.unwrap();
    assert!(
        html.contains("paused: token expired (190)")
            && html.contains("/artists/demo/resume-sending"),
        "{html}"
    );
    let r = b
        .post("/artists/demo/resume-sending", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let paused = "SELECT count(*) FROM artists WHERE sending_paused_at IS NOT NULL";
    assert_eq!(env.count(paused).await, 1);
    let csrf = b.csrf("/artists").await;
    let r = b
        .post("/artists/demo/resume-sending", &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(env.count(paused).await, 0);
    let html = b.get(&location(&r)).await.text().await.unwrap();
    assert!(!html.contains("Resume sending"), "{html}");
    assert_eq!(
        b.post("/artists/nobody/resume-sending", &[("csrf", &csrf)])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn funnel_media_and_action_links() {
    let env = TestEnv::new().await;
    let media_dir = std::env::temp_dir().join(format!("inkline-media-{}", env.name));
    std::fs::create_dir_all(media_dir.join("ab")).unwrap();
    std::fs::write(media_dir.join("ab/abcdef"), b"\x89PNG fake").unwrap();
    let console = start_console(
        &env,
        Some(ADMIN_KEY),
        &[("MEDIA_DIR", media_dir.to_str().unwrap())],
    )
    .await;
    seed_lead(&env, env.artist_id, "447700900601", "F", "QUALIFYING", 1).await;
    sqlx::query(
        "INSERT INTO media (id, artist_id, media_id, mime_type, sha256, size_bytes, storage_path)
         VALUES ($1, $2, '987654321', 'image/png', 'abcdef', 9, 'ab/abcdef')",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(env.artist_id)
    .execute(&env.pool)
    .await
    .unwrap();
    let mut b = Browser::new(&console);
    b.login(ADMIN_KEY).await;
    let funnel = b.get("/funnel?weeks=4").await.text().await.unwrap();
    assert!(
        funnel.contains("enquiries") && funnel.contains("booked") && funnel.contains("Per week")
    );

    let r = b.get("/media/987654321").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(b.get("/media/111").await.status(), 404);
    assert_eq!(b.get("/media/..%2F..%2Fetc%2Fpasswd").await.status(), 404);

    // Action links: unknown tokens are refused without a lookup or a change.
    let r = client()
        .get(console.url("/a/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client()
        .post(console.url(&format!("/a/{}", "A".repeat(43))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let _ = std::fs::remove_dir_all(&media_dir);
}
