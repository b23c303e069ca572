//! Webhook signatures: Meta's `X-Hub-Signature-256` and Stripe's `Stripe-Signature`, compared in
//! constant time over the raw body bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Stripe's default timestamp tolerance, seconds.
pub const STRIPE_TOLERANCE_SECS: i64 = 300;

/// HMAC-SHA256 of `parts` concatenated, keyed with `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Why a WhatsApp signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WhatsAppSignatureError {
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("malformed X-Hub-Signature-256 header (expected sha256=<64 lowercase hex>)")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
}

impl WhatsAppSignatureError {
    /// A short label for metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::Malformed => "signature_malformed",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// Verifies `X-Hub-Signature-256: sha256=<hex>` over the raw body with the app secret.
pub fn verify_whatsapp(
    app_secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), WhatsAppSignatureError> {
    let header = header.ok_or(WhatsAppSignatureError::Missing)?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(WhatsAppSignatureError::Malformed)?;
    if hex_sig.len() != 64
        || !hex_sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(WhatsAppSignatureError::Malformed);
    }
    let given = hex::decode(hex_sig).map_err(|_| WhatsAppSignatureError::Malformed)?;
    let expected = hmac_sha256(app_secret, &[body]);
    if bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(WhatsAppSignatureError::Mismatch)
    }
}

/// The header value Meta would send for `body` (used by the sandbox, tests and loadgen).
pub fn sign_whatsapp(app_secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac_sha256(app_secret, &[body])))
}

/// Why a Stripe signature was refused (the kinds stripe-go tells apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StripeSignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error("Stripe-Signature header has no timestamp")]
    NoTimestamp,
    #[error("Stripe-Signature header has no v1 signature")]
    NoSignatures,
    #[error("timestamp outside the tolerance")]
    TooOld,
    #[error("no signature matches the body")]
    Mismatch,
}

impl StripeSignatureError {
    /// A short label for metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::NoTimestamp => "signature_no_timestamp",
            Self::NoSignatures => "signature_no_v1",
            Self::TooOld => "signature_stale",
            Self::Mismatch => "signature_mismatch",
        }
    }
}

/// Verifies `Stripe-Signature: t=..,v1=..[,v1=..]` against `t.body` at time `now` (Unix seconds).
/// Any matching v1 passes; v0 and unknown schemes are ignored.
pub fn verify_stripe(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, StripeSignatureError> {
    let header = header.ok_or(StripeSignatureError::Missing)?;
    let mut timestamp: Option<(&str, i64)> = None;
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        match k {
            "t" => {
                if let Ok(t) = v.parse::<i64>() {
                    timestamp = Some((v, t));
                }
            }
            "v1" => {
                if let Ok(sig) = hex::decode(v)
                    && sig.len() == 32
                {
                    candidates.push(sig);
                }
            }
            _ => {}
        }
    }
    let (t_str, t) = timestamp.ok_or(StripeSignatureError::NoTimestamp)?;
    if candidates.is_empty() {
        return Err(StripeSignatureError::NoSignatures);
    }
    let expected = hmac_sha256(secret, &[t_str.as_bytes(), b".", body]);
    let mut matched = subtle::Choice::from(0u8);
    for c in &candidates {
        matched |= expected.as_slice().ct_eq(c);
    }
    if !bool::from(matched) {
        return Err(StripeSignatureError::Mismatch);
    }
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(StripeSignatureError::TooOld);
    }
    Ok(t)
}

/// The header value Stripe would send for `body` signed at `t`.
pub fn sign_stripe(secret: &[u8], t: i64, body: &[u8]) -> String {
    let sig = hmac_sha256(secret, &[t.to_string().as_bytes(), b".", body]);
    format!("t={t},v1={}", hex::encode(sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WA_BODY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.TEST0001","timestamp":"1764064800","type":"text","text":{"body":"Hi, I want a tattoo"}}]},"field":"messages"}]}]}"#;
    const WA_SIG: &str = "sha256=2aa2d047e5212d8b1f182c6336ad7f3c46d18f4e3b33f6728de38751cb432a57";
    const ST_BODY: &str = r#"{"id":"evt_test_0001","object":"event","api_version":"2024-06-20","created":1764064800,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed","data":{"object":{"id":"cs_test_0001","object":"checkout.session","amount_total":5000,"currency":"eur","client_reference_id":"lead_42","metadata":{"lead_id":"lead_42","artist_id":"artist_7"},"mode":"payment","payment_intent":"pi_test_0001","payment_status":"paid","status":"complete"}}}"#;
    const ST_SIG: &str = "e192d8b83d0a4d87f463f3a795a79d4967b445a09a934a733fac5ba0aa1c922e";
    const T: i64 = 1764064800;

    #[test]
    fn whatsapp_vector_passes_and_every_corruption_fails() {
        assert_eq!(WA_BODY.len(), 440);
        let secret = b"test_app_secret";
        assert_eq!(
            verify_whatsapp(secret, Some(WA_SIG), WA_BODY.as_bytes()),
            Ok(())
        );
        assert_eq!(sign_whatsapp(secret, WA_BODY.as_bytes()), WA_SIG);
        let mut flipped = WA_BODY.as_bytes().to_vec();
        flipped[100] ^= 1;
        assert_eq!(
            verify_whatsapp(secret, Some(WA_SIG), &flipped),
            Err(WhatsAppSignatureError::Mismatch)
        );
        assert_eq!(
            verify_whatsapp(b"wrong", Some(WA_SIG), WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Mismatch)
        );
        assert_eq!(
            verify_whatsapp(secret, None, WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Missing)
        );
        let bare = WA_SIG.trim_start_matches("sha256=");
        assert_eq!(
            verify_whatsapp(secret, Some(bare), WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Malformed)
        );
        let sha1 = format!("sha1={bare}");
        assert_eq!(
            verify_whatsapp(secret, Some(&sha1), WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Malformed)
        );
        let upper = format!("sha256={}", bare.to_uppercase());
        assert_eq!(
            verify_whatsapp(secret, Some(&upper), WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Malformed)
        );
        assert_eq!(
            verify_whatsapp(secret, Some("sha256=zz"), WA_BODY.as_bytes()),
            Err(WhatsAppSignatureError::Malformed)
        );
    }

    #[test]
    fn whatsapp_signature_is_over_raw_bytes_not_reserialised_json() {
        let secret = b"s";
        let body = "{\"text\":\"caf\\u00e9 \\/ ok\"}".as_bytes();
        let sig = sign_whatsapp(secret, body);
        let reparsed: serde_json::Value = serde_json::from_slice(body).unwrap();
        let reserialised = serde_json::to_vec(&reparsed).unwrap();
        assert_eq!(verify_whatsapp(secret, Some(&sig), body), Ok(()));
        assert_eq!(
            verify_whatsapp(secret, Some(&sig), &reserialised),
            Err(WhatsAppSignatureError::Mismatch)
        );
    }

    #[test]
    fn stripe_vector_and_negative_vectors() {
        assert_eq!(ST_BODY.len(), 492);
        let secret = b"whsec_test_secret";
        let body = ST_BODY.as_bytes();
        let header = format!("t={T},v1={ST_SIG}");
        assert_eq!(sign_stripe(secret, T, body), header);
        assert_eq!(verify_stripe(secret, Some(&header), body, T, 300), Ok(T));
        assert_eq!(
            verify_stripe(secret, Some(&header), body, T + 300, 300),
            Ok(T)
        );
        assert_eq!(
            verify_stripe(secret, Some(&header), body, T + 301, 300),
            Err(StripeSignatureError::TooOld)
        );
        assert_eq!(
            verify_stripe(secret, Some(&header), body, T - 301, 300),
            Err(StripeSignatureError::TooOld)
        );
        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verify_stripe(secret, Some(&header), &tampered, T, 300),
            Err(StripeSignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(b"whsec_other", Some(&header), body, T, 300),
            Err(StripeSignatureError::Mismatch)
        );
        let two = format!("t={T},v1={},v1={ST_SIG}", "0".repeat(64));
        assert_eq!(verify_stripe(secret, Some(&two), body, T, 300), Ok(T));
        let v0 = format!("t={T},v0={ST_SIG}");
        assert_eq!(
            verify_stripe(secret, Some(&v0), body, T, 300),
            Err(StripeSignatureError::NoSignatures)
        );
        let reordered = format!("v1={ST_SIG},foo=bar,t={T}");
        assert_eq!(verify_stripe(secret, Some(&reordered), body, T, 300), Ok(T));
        assert_eq!(
            verify_stripe(secret, Some(&format!("v1={ST_SIG}")), body, T, 300),
            Err(StripeSignatureError::NoTimestamp)
        );
        assert_eq!(
            verify_stripe(secret, None, body, T, 300),
            Err(StripeSignatureError::Missing)
        );
        assert_eq!(
            verify_stripe(secret, Some(""), body, T, 300),
            Err(StripeSignatureError::NoTimestamp)
        );
    }
}
