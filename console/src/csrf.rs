//! CSRF protection for every console form: the session (signed cookie) holds a random token, each
//! form carries it in a hidden `csrf` field, and a POST whose field does not match is refused
//! with 403 before anything happens. SameSite=Lax cookies are the second line.

use crate::auth::Session;
use maud::{Markup, html};

/// The form field name.
pub const FIELD: &str = "csrf";

/// The hidden field to put in every form.
pub fn field(session: &Session) -> Markup {
    html! { input type="hidden" name=(FIELD) value=(session.csrf); }
}

/// A form whose token is not the session's (the pages answer 403: `PageError::from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// Refuses a form whose token is not the session's.
pub fn check(session: &Session, presented: Option<&str>) -> Result<(), Refused> {
    if presented.is_some_and(|p| session.csrf_ok(p)) {
        Ok(())
    } else {
        Err(Refused)
    }
}
