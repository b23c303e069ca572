//! Keeps `docs/openapi.yaml` honest: it must parse, document every route of the admin router
//! and nothing the router does not serve.

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::server::{AppState, router};
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use infra::config::{ConsoleConfig, EnvReader};
    use std::collections::BTreeSet;
    use tower::ServiceExt;

    fn document() -> serde_json::Value {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml"))
                .expect("docs/openapi.yaml");
        serde_norway::from_str(&text).expect("docs/openapi.yaml is valid YAML")
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc = document();
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        let paths = doc["paths"].as_object().expect("paths");
        let mut out = BTreeSet::new();
        for (path, item) in paths {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                    let op = &item[method.as_str()];
                    assert!(op["responses"].is_object(), "{method} {path} has responses");
                    out.insert((method.clone(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_admin_route_is_documented_and_nothing_else() {
        let mut served: BTreeSet<(String, String)> = crate::admin::routes()
            .into_iter()
            .map(|(m, p)| (m.to_owned(), p))
            .collect();
        served.insert(("get".into(), "/healthz".into()));
        served.insert(("get".into(), "/readyz".into()));
        let doc = documented();
        let missing: Vec<_> = served.difference(&doc).collect();
        let extra: Vec<_> = doc.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes missing from docs/openapi.yaml: {missing:?}"
        );
        assert!(extra.is_empty(), "documented but not served: {extra:?}");
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = serde_json::to_string(&doc).unwrap();
        for piece in text.split("\"$ref\":\"#/").skip(1) {
            let target = piece.split('"').next().unwrap();
            let mut node = &doc;
            for part in target.split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "dangling $ref #/{target}");
        }
    }

    /// The router really answers each documented path (401 without a key, not 404/405).
    #[tokio::test]
    async fn the_router_serves_every_documented_path() {
        let env = EnvReader::from_map(
            [("ADMIN_API_KEY".to_owned(), "k".to_owned())]
                .into_iter()
                .collect(),
        );
        let cfg = ConsoleConfig::read(env).unwrap();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(300))
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let shutdown = infra::shutdown::Shutdown::new();
        let mut bus_cfg = cfg.bus.clone();
        bus_cfg.amqp_url = infra::config::Secret::new("amqp://nobody:nobody@127.0.0.1:1/%2f");
        let bus = infra::bus::Bus::start(bus_cfg, "openapi-test", shutdown.clone());
        let app = router(AppState::new(pool, bus, &cfg));
        for (method, path) in documented() {
            let uri = path
                .replace("{id}", "0193a0b4-0000-7000-8000-000000000000")
                .replace("{slug}", "demo")
                .replace("{queue}", "inbound.whatsapp")
                .replace("{loop}", "outbox");
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .unwrap();
            let status = app.clone().oneshot(req).await.unwrap().status();
            let expected = match path.as_str() {
                "/healthz" => StatusCode::OK,
                "/readyz" => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            assert_eq!(status, expected, "{method} {uri}");
        }
        shutdown.trigger();
    }
}
