//! What a WhatsApp Cloud API error means for the sender: Meta's `error.code` (and, when there is
//! none, the HTTP status) mapped to one reaction class. Pure, so the whole table of
//! external-apis.md 1.7 is checked in one test; the sender only acts on the class.

use super::payload::GraphError;

/// How the sender reacts to a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The number's throughput (130429, HTTP 429): slow the number's bucket, retry later.
    NumberThrottle,
    /// App or business-account call limits (4, 80007): back off for minutes, retry later.
    AccountThrottle,
    /// Too fast to this one recipient (131056): delay that recipient only.
    PairThrottle,
    /// Outside the 24 h customer-service window (131047, legacy 470): send the template instead.
    OutsideWindow,
    /// The token or the account cannot send at all (190, 401, 368, 131031): stop this artist.
    StopTenant,
    /// Meta or the network hiccuped (1, 2, 131000, 131057, 5xx, timeouts): bounded retries.
    Transient,
    /// Will fail the same way again (131026, template and parameter errors...): fail, no retry.
    Permanent,
    /// Not in the table: bounded retries, then the dead-letter queue for a human.
    Unknown,
}

impl ErrorClass {
    /// A short label for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::NumberThrottle => "number_throttle",
            ErrorClass::AccountThrottle => "account_throttle",
            ErrorClass::PairThrottle => "pair_throttle",
            ErrorClass::OutsideWindow => "outside_window",
            ErrorClass::StopTenant => "stop_tenant",
            ErrorClass::Transient => "transient",
            ErrorClass::Permanent => "permanent",
            ErrorClass::Unknown => "unknown",
        }
    }
}

/// The class of Meta error `code` answered with `http_status`. The code decides (Meta says so);
/// the status only speaks when the code is missing.
pub fn classify(http_status: u16, code: Option<i64>) -> ErrorClass {
    use ErrorClass::*;
    match code {
        Some(130429) => NumberThrottle,
        Some(4 | 80007) => AccountThrottle,
        Some(131056) => PairThrottle,
        Some(131047 | 470) => OutsideWindow,
        Some(190 | 368 | 131031) => StopTenant,
        Some(1 | 2 | 131000 | 131057) => Transient,
        Some(131026 | 131048 | 131049 | 131051 | 131052 | 131053 | 131009 | 100) => Permanent,
        // Template and flow problems (132000..=132069): wrong config or a bug, never fixed by waiting.
        Some(132000..=132069) => Permanent,
        Some(_) => Unknown,
        None => match http_status {
            429 => NumberThrottle,
            401 => StopTenant,
            500..=599 => Transient,
            _ => Unknown,
        },
    }
}

/// The class of any failed Graph call: no answer at all (timeout, reset) is transient; an answer
/// without a message id is unknown, because Meta may have accepted it.
pub fn classify_error(e: &GraphError) -> ErrorClass {
    match e {
        GraphError::Api {
            http_status, code, ..
        } => classify(*http_status, *code),
        GraphError::Transport(_) => ErrorClass::Transient,
        GraphError::Unexpected(_) => ErrorClass::Unknown,
    }
}

/// The metrics label of an error: Meta's code, else `http_<status>`, `transport` or `unexpected`.
pub fn code_label(e: &GraphError) -> String {
    match e {
        GraphError::Api { code: Some(c), .. } => c.to_string(),
        GraphError::Api { http_status, .. } => format!("http_{http_status}"),
        GraphError::Transport(_) => "transport".into(),
        GraphError::Unexpected(s) => format!("unexpected_{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorClass::*;
    use super::*;

    /// Every code of external-apis.md 1.7, with the HTTP status Meta pairs it with.
    #[test]
    fn every_documented_code_has_its_reaction() {
        let table: &[(u16, i64, ErrorClass)] = &[
            (429, 130429, NumberThrottle),
            (400, 131056, PairThrottle),
            (400, 131047, OutsideWindow),
            (400, 470, OutsideWindow),
            (400, 131026, Permanent),
            (400, 131048, Permanent),
            (400, 131049, Permanent),
            (400, 131051, Permanent),
            (400, 131052, Permanent),
            (400, 131053, Permanent),
            (400, 132000, Permanent),
            (400, 132001, Permanent),
            (400, 132005, Permanent),
            (400, 132007, Permanent),
            (400, 132012, Permanent),
            (400, 132015, Permanent),
            (400, 132016, Permanent),
            (400, 132069, Permanent),
            (401, 190, StopTenant),
            (429, 4, AccountThrottle),
            (429, 80007, AccountThrottle),
            (403, 368, StopTenant),
            (400, 131031, StopTenant),
            (400, 131009, Permanent),
            (400, 100, Permanent),
            (500, 1, Transient),
            (500, 2, Transient),
            (500, 131000, Transient),
            (503, 131057, Transient),
        ];
        for (status, code, class) in table {
            assert_eq!(classify(*status, Some(*code)), *class, "code {code}");
        }
    }

    #[test]
    fn the_code_wins_over_the_http_status() {
        assert_eq!(classify(400, Some(130429)), NumberThrottle);
        assert_eq!(classify(500, Some(131026)), Permanent);
        assert_eq!(classify(200, Some(190)), StopTenant);
    }

    #[test]
    fn without_a_code_the_status_decides_and_unknown_codes_are_bounded_retries() {
        assert_eq!(classify(429, None), NumberThrottle);
        assert_eq!(classify(401, None), StopTenant);
        assert_eq!(classify(502, None), Transient);
        assert_eq!(classify(400, None), Unknown);
        assert_eq!(classify(400, Some(999_999)), Unknown);
        assert_eq!(classify(400, Some(132070)), Unknown);
    }

    #[test]
    fn transport_failures_retry_and_unreadable_answers_are_unknown() {
        assert_eq!(
            classify_error(&GraphError::Transport("timeout".into())),
            Transient
        );
        assert_eq!(classify_error(&GraphError::Unexpected(200)), Unknown);
        let e = GraphError::Api {
            http_status: 400,
            code: Some(131026),
            message: "x".into(),
            retry_after: None,
        };
        assert_eq!(
            (classify_error(&e), code_label(&e)),
            (Permanent, "131026".to_string())
        );
    }
}
