//! Reading a webhook body: signature header, size and time limits, raw bytes, JSON shape, and
//! publishing it.

use crate::IngressState;
use crate::error::EdgeError;
use crate::ids;
use crate::json_depth::{self, MAX_JSON_DEPTH};
use crate::json_syntax;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures::StreamExt;
use infra::bus::message::{H_CORRELATION, H_RECEIVED_AT, H_TRACEPARENT};
use infra::bus::{Outgoing, PublishError};
use infra::metrics::metrics;
use std::collections::BTreeMap;
use tokio::sync::OwnedSemaphorePermit;

/// A refused webhook: counted by source and reason, answered with `status` and the reason as code.
pub fn reject(
    source: &'static str,
    status: StatusCode,
    reason: &'static str,
    message: impl Into<String>,
) -> EdgeError {
    metrics()
        .webhooks_rejected
        .with_label_values(&[source, reason])
        .inc();
    EdgeError::new(status, reason, message)
}

/// The value of a signature header (None when absent); a repeated header is refused with `status`.
fn signature_header<'a>(
    source: &'static str,
    headers: &'a HeaderMap,
    name: &'static str,
    status: StatusCode,
) -> Result<Option<&'a str>, EdgeError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(reject(
            source,
            status,
            "signature_duplicated",
            format!("more than one {name} header"),
        )
        .closing());
    }
    Ok(first.map(|v| v.to_str().unwrap_or("")))
}

/// The signature header that must be present before the body is read: without it the request is
/// refused with `status` at once, and the body is never read (the connection is closed after).
pub fn require_signature<'a>(
    source: &'static str,
    headers: &'a HeaderMap,
    name: &'static str,
    status: StatusCode,
) -> Result<&'a str, EdgeError> {
    signature_header(source, headers, name, status)?.ok_or_else(|| {
        reject(
            source,
            status,
            "signature_missing",
            format!("missing {name} header"),
        )
        .closing()
    })
}

/// The first bytes of every body are not taken from `INGRESS_MAX_BUFFERED`: small bodies (every
/// ordinary webhook) are bounded by `INGRESS_MAX_CONCURRENCY` × this alone, so clients that spend
/// the budget with large bodies cannot starve them.
pub const UNBUDGETED: usize = 64 * 1024;

/// A body read into memory, holding its share of `INGRESS_MAX_BUFFERED` until dropped.
#[derive(Debug)]
pub struct HeldBody {
    pub bytes: bytes::Bytes,
    budget: OwnedSemaphorePermit,
}

/// The share of `INGRESS_MAX_BUFFERED` a body holds, released when dropped.
#[derive(Debug)]
pub struct Budget {
    _permit: OwnedSemaphorePermit,
}

impl HeldBody {
    /// The bytes, and the budget to hold until they are no longer needed (after the publish).
    pub fn into_parts(self) -> (bytes::Bytes, Budget) {
        (
            self.bytes,
            Budget {
                _permit: self.budget,
            },
        )
    }
}

/// Reads at most `INGRESS_MAX_BODY` bytes (413 beyond) within `INGRESS_BODY_TIMEOUT_MS` of the
/// handler's start (408 after it: a client that dribbles its body cannot hold a slot longer), the
/// bytes beyond [`UNBUDGETED`] taken from the shared `INGRESS_MAX_BUFFERED` budget as they arrive
/// (503 `overloaded` when it is spent). Nothing is reserved up front from `Content-Length`, so a promise of a
/// large body costs nothing until the bytes arrive.
pub async fn read(
    state: &IngressState,
    source: &'static str,
    headers: &HeaderMap,
    body: Body,
) -> Result<HeldBody, EdgeError> {
    let limit = state.cfg.max_body;
    let timeout = state.cfg.limits.body_timeout;
    let too_big = || {
        reject(
            source,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("body over {limit} bytes"),
        )
        .closing()
    };
    let over_budget = || {
        reject(
            source,
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many body bytes in flight; retry shortly",
        )
        .closing()
    };
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if announced.is_some_and(|len| len > limit) {
        return Err(too_big());
    }
    let collect = async {
        let mut budget = state
            .body_budget
            .clone()
            .try_acquire_many_owned(0)
            .map_err(|_| over_budget())?;
        let mut stream = body.into_data_stream();
        // One allocation for an ordinary body; a promise of more is believed up to UNBUDGETED only.
        let mut buf = bytes::BytesMut::with_capacity(announced.unwrap_or(0).min(UNBUDGETED));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                reject(
                    source,
                    StatusCode::BAD_REQUEST,
                    "body_incomplete",
                    format!("the body could not be read: {e}"),
                )
                .closing()
            })?;
            if buf.len() + chunk.len() > limit {
                return Err(too_big());
            }
            let charge = (buf.len() + chunk.len()).saturating_sub(UNBUDGETED)
                - buf.len().saturating_sub(UNBUDGETED);
            if charge > 0 {
                let n = u32::try_from(charge).map_err(|_| too_big())?;
                budget.merge(
                    state
                        .body_budget
                        .clone()
                        .try_acquire_many_owned(n)
                        .map_err(|_| over_budget())?,
                );
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(HeldBody {
            bytes: buf.freeze(),
            budget,
        })
    };
    match tokio::time::timeout(timeout, collect).await {
        Ok(read) => read,
        Err(_) => Err(reject(
            source,
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the body did not arrive within {} ms", timeout.as_millis()),
        )
        .closing()),
    }
}

/// Refuses bodies that are not JSON (after the signature check, so only a signer can see this):
/// a content type other than JSON (415), bytes that are not UTF-8, nesting deeper than
/// [`MAX_JSON_DEPTH`], or anything else serde_json cannot parse (400 each). The workers could not
/// decode any of these; refusing them here keeps them out of the queues and the dead letters.
pub fn require_json(
    source: &'static str,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<(), EdgeError> {
    let reject = |reason: &'static str, status, msg: &str| Err(reject(source, status, reason, msg));
    if let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !ct
            .trim()
            .get(..16)
            .is_some_and(|t| t.eq_ignore_ascii_case("application/json"))
    {
        return reject(
            "unsupported_media_type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    // The one pass every good body takes; a refusal is then explained by the checks in order.
    if json_syntax::is_valid(raw, MAX_JSON_DEPTH) {
        return Ok(());
    }
    if std::str::from_utf8(raw).is_err() {
        return reject(
            "invalid_utf8",
            StatusCode::BAD_REQUEST,
            "body is not valid UTF-8",
        );
    }
    if json_depth::exceeds(raw, MAX_JSON_DEPTH) {
        return reject(
            "too_deep",
            StatusCode::BAD_REQUEST,
            &format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"),
        );
    }
    // Never reached while json_syntax agrees with serde_json (its tests check that it does).
    if serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok() {
        tracing::error!(
            source,
            "json_syntax refused a body serde_json parses; accepting it"
        );
        return Ok(());
    }
    reject(
        "invalid_json",
        StatusCode::BAD_REQUEST,
        "body is not valid JSON",
    )
}

/// The correlation id of a request and its `traceparent`: a sane `X-Correlation-Id` header, or a
/// new id.
pub fn correlation(headers: &HeaderMap) -> (String, String) {
    match headers
        .get(H_CORRELATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }) {
        Some(given) => (given.to_owned(), infra::telemetry::traceparent_for(given)),
        None => ids::new_correlation(),
    }
}

/// Publishes the raw body and answers 200 only after the broker's confirm (503 otherwise). The
/// body's budget is released only once the broker has answered.
pub async fn publish(
    state: &IngressState,
    source: &'static str,
    queue: &str,
    (raw, _budget): (bytes::Bytes, Budget),
    (cid, traceparent): (String, String),
) -> Result<Response, EdgeError> {
    // The headers `Outgoing::json` sets, without its per-message random id from the OS.
    let msg = Outgoing {
        message_id: cid.clone(),
        content_type: "application/json",
        // No copy: the body's only owner hands its buffer over.
        payload: Vec::from(raw),
        headers: BTreeMap::from([
            (H_CORRELATION.to_owned(), cid.clone()),
            (H_TRACEPARENT.to_owned(), traceparent),
            (H_RECEIVED_AT.to_owned(), ids::received_at()),
        ]),
        expiration_ms: None,
    };
    match state.bus.publish(queue, &msg).await {
        Ok(()) => {
            tracing::debug!(correlation_id = %cid, queue, "webhook accepted");
            Ok(accepted(&cid))
        }
        Err(e) => {
            tracing::warn!(correlation_id = %cid, error = %e, "could not publish webhook; answering 503");
            // A full queue refuses with a nack: the sender backs off (Retry-After) like for an outage.
            let (code, message) = match e {
                PublishError::Nacked => ("queue_full", "the queue is full; try again shortly"),
                _ => ("broker_unavailable", "try again shortly"),
            };
            Err(reject(
                source,
                StatusCode::SERVICE_UNAVAILABLE,
                code,
                message,
            ))
        }
    }
}

/// `{"correlation_id": CID, "status": "accepted"}`, written directly (the id is `[A-Za-z0-9-]`).
fn accepted(cid: &str) -> Response {
    let mut body = String::with_capacity(cid.len() + 42);
    body.push_str(r#"{"correlation_id":""#);
    body.push_str(cid);
    body.push_str(r#"","status":"accepted"}"#);
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn the_accepted_answer_is_what_serde_json_writes() {
        let resp = accepted("0193a0b1-aaaa-7bbb-8ccc-0123456789ab");
        assert_eq!(
            resp.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
        let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
        let expected = serde_json::to_vec(&serde_json::json!({
            "status": "accepted",
            "correlation_id": "0193a0b1-aaaa-7bbb-8ccc-0123456789ab",
        }))
        .unwrap();
        assert_eq!(body, expected);
    }

    #[test]
    fn a_sane_correlation_header_is_kept_and_traced() {
        let mut h = HeaderMap::new();
        h.insert(H_CORRELATION, HeaderValue::from_static("abc-123"));
        let (cid, tp) = correlation(&h);
        assert_eq!(cid, "abc-123");
        assert!(
            tp.starts_with("00-00000000000000000000000000abc123-"),
            "{tp}"
        );
        h.insert(H_CORRELATION, HeaderValue::from_static("no spaces please"));
        let (cid, _) = correlation(&h);
        assert_eq!(uuid::Uuid::parse_str(&cid).unwrap().get_version_num(), 7);
    }
}
