//! The fake Stripe API's HTTP surface: create, list (by payment intent), retrieve and expire
//! Checkout Sessions, and create refunds. Every `/v1` call goes through [`api`]: parse the form, check the secret key,
//! apply scripted faults, honour `Idempotency-Key`, run, record, then send the events it caused.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

use super::stripe_core::StripeRequest;
use super::stripe_core::{StoredResponse, StripeCore};
use super::stripe_error::StripeError;
use super::stripe_form::Form;

type Shared = Arc<StripeCore>;

/// What a request produced: the JSON answer and the events to send afterwards.
type Outcome = Result<(Value, Vec<Value>), StripeError>;

pub(crate) fn router(core: Shared) -> Router {
    Router::new()
        .route(
            "/v1/checkout/sessions",
            post(create_session).get(list_sessions),
        )
        .route("/v1/checkout/sessions/{id}", get(retrieve_session))
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
        .route("/v1/refunds", post(create_refund))
        .merge(super::checkout_page::router())
        .fallback(unknown)
        .with_state(core)
}

async fn create_session(
    State(core): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(
        &core,
        Method::POST,
        &uri,
        &headers,
        &body,
        |core, form, _| {
            let session = core.create_session(form)?;
            Ok((session.to_json(), Vec::new()))
        },
    )
}

/// `GET /v1/checkout/sessions[?payment_intent=pi_…][&limit=N]`: newest first, as Stripe lists.
async fn list_sessions(State(core): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let query = uri.query().unwrap_or_default().as_bytes().to_vec();
    api(
        &core,
        Method::GET,
        &uri,
        &headers,
        &query,
        |core, form, _| {
            let limit = match form.get("limit") {
                None => 10,
                Some(raw) => match raw.parse::<usize>() {
                    Ok(n) if (1..=100).contains(&n) => n,
                    _ => {
                        return Err(StripeError::invalid_param(
                            "limit",
                            "parameter_invalid_integer",
                            "limit must be between 1 and 100.",
                        ));
                    }
                },
            };
            let wanted = form.get("payment_intent");
            let matching: Vec<Value> = core
                .sessions()
                .into_iter()
                .rev()
                .filter(|s| wanted.is_none_or(|pi| s.payment_intent.as_deref() == Some(pi)))
                .map(|s| s.to_json())
                .collect();
            let has_more = matching.len() > limit;
            let data: Vec<Value> = matching.into_iter().take(limit).collect();
            Ok((
                json!({"object": "list", "data": data, "has_more": has_more, "url": "/v1/checkout/sessions"}),
                Vec::new(),
            ))
        },
    )
}

async fn retrieve_session(
    State(core): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    api(&core, Method::GET, &uri, &headers, &[], |core, _, _| {
        Ok((core.session(&id)?.to_json(), Vec::new()))
    })
}

async fn expire_session(
    State(core): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(
        &core,
        Method::POST,
        &uri,
        &headers,
        &body,
        |core, _, request| {
            let (session, mut event) = core.expire(&id)?;
            event["request"] = request;
            Ok((session.to_json(), vec![event]))
        },
    )
}

async fn create_refund(
    State(core): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    api(
        &core,
        Method::POST,
        &uri,
        &headers,
        &body,
        |core, form, request| {
            if form.get("charge").is_some() && form.get("payment_intent").is_none() {
                return Err(StripeError::invalid_param(
                    "charge",
                    "parameter_unknown",
                    "The fake refunds by payment_intent only.",
                ));
            }
            let pi = form
                .get("payment_intent")
                .filter(|p| !p.is_empty())
                .ok_or_else(|| StripeError::missing("payment_intent"))?;
            let amount = match form.get("amount") {
                None => None,
                Some(raw) => match raw.parse::<i64>() {
                    Ok(n) if n >= 1 => Some(n),
                    Ok(_) => {
                        return Err(StripeError::invalid_param(
                            "amount",
                            "parameter_invalid_integer",
                            "This value must be greater than or equal to 1.",
                        ));
                    }
                    Err(_) => return Err(StripeError::invalid_integer("amount", raw)),
                },
            };
            let (mut refund, mut event) = core.refund(pi, amount)?;
            if let Some(reason) = form.get("reason") {
                refund["reason"] = json!(reason);
            }
            refund["metadata"] = json!(form.map("metadata"));
            event["request"] = request;
            Ok((refund, vec![event]))
        },
    )
}

async fn unknown(method: Method, uri: Uri) -> Response {
    let mut e = StripeError::invalid_request(
        format!("Unrecognized request URL ({method}: {}).", uri.path()),
        None,
    );
    e.http_status = 404;
    e.into_response()
}

/// One incoming `/v1` call, as [`guarded`] needs it.
struct Call<'a> {
    method: Method,
    path: &'a str,
    headers: &'a HeaderMap,
    key: Option<String>,
    request_id: String,
}

/// The common path of every `/v1` request; `run` gets the form and the event's `request` JSON.
fn api(
    core: &Shared,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    run: impl FnOnce(&StripeCore, &Form, Value) -> Outcome,
) -> Response {
    let call = Call {
        method,
        path: uri.path(),
        headers,
        key: headers
            .get("Idempotency-Key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        request_id: format!("req_{}", &uuid::Uuid::new_v4().simple().to_string()[..14]),
    };
    let form = Form::parse(body);
    let params = form
        .as_ref()
        .map(|f| f.pairs().to_vec())
        .unwrap_or_default();
    let (mut response, events) = match form {
        Err(e) => (e.into_response(), Vec::new()),
        Ok(form) => guarded(core, &call, &form, run),
    };
    if let Ok(v) = HeaderValue::from_str(&call.request_id) {
        response.headers_mut().insert("Request-Id", v);
    }
    core.lock().requests.push(StripeRequest {
        method: call.method.to_string(),
        path: call.path.to_string(),
        idempotency_key: call.key,
        params,
        status: response.status().as_u16(),
        at: chrono::Utc::now(),
    });
    for event in events {
        let core = Arc::clone(core);
        tokio::spawn(async move {
            core.deliver(&event).await;
        });
    }
    response
}

/// Auth, faults and idempotency around `run`.
fn guarded(
    core: &StripeCore,
    call: &Call<'_>,
    form: &Form,
    run: impl FnOnce(&StripeCore, &Form, Value) -> Outcome,
) -> (Response, Vec<Value>) {
    if let Err(e) = authorize(core, call.headers) {
        return (e.into_response(), Vec::new());
    }
    if let Some(fault) = core.take_fault() {
        return (fault.to_error().into_response(), Vec::new());
    }
    let request = json!({"id": call.request_id, "idempotency_key": call.key});
    // GETs are naturally idempotent; Stripe ignores the key on them.
    let Some(key) = call.key.as_deref().filter(|_| call.method == Method::POST) else {
        return answer(run(core, form, request));
    };
    let method_path = format!("{} {}", call.method, call.path);
    let fingerprint = form.fingerprint();
    let mut store = core.lock_idempotency();
    if let Some(stored) = store.get(key) {
        if stored.method_path != method_path || stored.fingerprint != fingerprint {
            return (
                StripeError::idempotency_mismatch(key).into_response(),
                Vec::new(),
            );
        }
        let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
        let mut replay = (status, axum::Json(stored.body.clone())).into_response();
        replay
            .headers_mut()
            .insert("Idempotent-Replayed", HeaderValue::from_static("true"));
        return (replay, Vec::new());
    }
    let outcome = run(core, form, request);
    // Only requests that ran to success are stored; refused ones may be retried with the key.
    if let Ok((body, _)) = &outcome {
        store.insert(
            key.to_string(),
            StoredResponse {
                method_path,
                fingerprint,
                status: 200,
                body: body.clone(),
            },
        );
    }
    drop(store);
    answer(outcome)
}

fn answer(outcome: Outcome) -> (Response, Vec<Value>) {
    match outcome {
        Ok((body, events)) => (axum::Json(body).into_response(), events),
        Err(e) => (e.into_response(), Vec::new()),
    }
}

/// `Authorization: Bearer <key>` or Basic with the key as the user name.
fn authorize(core: &StripeCore, headers: &HeaderMap) -> Result<(), StripeError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| StripeError::unauthorized(None))?;
    let key = if let Some(bearer) = value.strip_prefix("Bearer ") {
        bearer.trim().to_string()
    } else if let Some(basic) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded).into_owned();
        text.split_once(':')
            .map(|(user, _)| user.to_string())
            .unwrap_or(text)
    } else {
        return Err(StripeError::unauthorized(None));
    };
    if !key.is_empty() && key == core.secret_key {
        Ok(())
    } else {
        Err(StripeError::unauthorized(Some(&key)))
    }
}
