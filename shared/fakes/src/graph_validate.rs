//! Checks a `POST /{version}/{phone_number_id}/messages` body the way Meta does, so a sender bug
//! (a fourth button, a 21-character title, a missing template language) fails in tests instead of
//! in production. Limits follow external-apis.md 1.6.

use std::collections::HashSet;

use serde_json::Value;

use super::graph_faults::MetaError;

const TEXT_BODY_MAX: usize = 4096;
const CAPTION_MAX: usize = 1024;
const BUTTON_BODY_MAX: usize = 1024;
const LIST_BODY_MAX: usize = 4096;
const HEADER_FOOTER_MAX: usize = 60;
const BUTTONS_MAX: usize = 3;
const BUTTON_TITLE_MAX: usize = 20;
const BUTTON_ID_MAX: usize = 256;
const LIST_ROWS_MAX: usize = 10;
const LIST_SECTIONS_MAX: usize = 10;
const ROW_TITLE_MAX: usize = 24;
const ROW_ID_MAX: usize = 200;
const ROW_DESCRIPTION_MAX: usize = 72;
const LIST_BUTTON_MAX: usize = 20;
const SECTION_TITLE_MAX: usize = 24;

/// What a valid body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// `{"messaging_product":"whatsapp","status":"read","message_id":"..."}`.
    Read { message_id: String },
    /// A message to a user; `kind` is the body's `type`.
    Send { to: String, kind: String },
}

/// Validates `body`, answering Meta's error (code 100 or 131009) for the first problem found.
pub(crate) fn classify(body: &Value) -> Result<Outgoing, MetaError> {
    if !body.is_object() {
        return Err(MetaError::invalid_parameter(
            "The request body must be a JSON object.",
        ));
    }
    match body.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => {}
        Some(_) => {
            return Err(MetaError::invalid_parameter(
                "Param messaging_product must be 'whatsapp'.",
            ));
        }
        None => {
            return Err(MetaError::invalid_parameter(
                "The parameter messaging_product is required.",
            ));
        }
    }
    if let Some(status) = body.get("status") {
        return read_receipt(status, body);
    }
    let to = required_str(body, "to", "to")?;
    let digits = to.strip_prefix('+').unwrap_or(to);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MetaError::invalid_value(format!(
            "Param to '{to}' is not a valid phone number or wa_id."
        )));
    }
    if let Some(rt) = body.get("recipient_type")
        && rt.as_str() != Some("individual")
    {
        return Err(MetaError::invalid_parameter(
            "Param recipient_type must be 'individual'.",
        ));
    }
    // Meta defaults a missing type to text.
    let kind = match body.get("type") {
        None => "text",
        Some(t) => t
            .as_str()
            .ok_or_else(|| MetaError::invalid_parameter("Param type must be a string."))?,
    };
    match kind {
        "text" => text(body)?,
        "image" => image(body)?,
        "interactive" => interactive(body)?,
        "template" => template(body)?,
        other => {
            return Err(MetaError::invalid_parameter(format!(
                "Param type '{other}' is not supported."
            )));
        }
    }
    Ok(Outgoing::Send {
        to: to.to_string(),
        kind: kind.to_string(),
    })
}

fn read_receipt(status: &Value, body: &Value) -> Result<Outgoing, MetaError> {
    if status.as_str() != Some("read") {
        return Err(MetaError::invalid_parameter("Param status must be 'read'."));
    }
    let message_id = required_str(body, "message_id", "message_id")?;
    if !message_id.starts_with("wamid.") {
        return Err(MetaError::invalid_value(format!(
            "Param message_id '{message_id}' is not a valid message id."
        )));
    }
    Ok(Outgoing::Read {
        message_id: message_id.to_string(),
    })
}

fn text(body: &Value) -> Result<(), MetaError> {
    let text = object(body, "text", "text")?;
    let content = required_str(text, "body", "text['body']")?;
    max_chars(content, TEXT_BODY_MAX, "text['body']")
}

fn image(body: &Value) -> Result<(), MetaError> {
    let image = object(body, "image", "image")?;
    let id = image
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let link = image
        .get("link")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    if id.is_none() == link.is_none() {
        return Err(MetaError::invalid_parameter(
            "Param image must have exactly one of 'id' or 'link'.",
        ));
    }
    optional_max(image, "caption", CAPTION_MAX, "image['caption']")
}

fn interactive(body: &Value) -> Result<(), MetaError> {
    let interactive = object(body, "interactive", "interactive")?;
    let kind = required_str(interactive, "type", "interactive['type']")?;
    let body_max = match kind {
        "button" => BUTTON_BODY_MAX,
        "list" => LIST_BODY_MAX,
        other => {
            return Err(MetaError::invalid_parameter(format!(
                "Param interactive['type'] '{other}' is not supported."
            )));
        }
    };
    let text_body = object(interactive, "body", "interactive['body']")?;
    max_chars(
        required_str(text_body, "text", "interactive['body']['text']")?,
        body_max,
        "interactive['body']['text']",
    )?;
    if let Some(header) = interactive.get("header") {
        optional_max(
            header,
            "text",
            HEADER_FOOTER_MAX,
            "interactive['header']['text']",
        )?;
    }
    if let Some(footer) = interactive.get("footer") {
        optional_max(
            footer,
            "text",
            HEADER_FOOTER_MAX,
            "interactive['footer']['text']",
        )?;
    }
    let action = object(interactive, "action", "interactive['action']")?;
    if kind == "button" {
        buttons(action)
    } else {
        list(action)
    }
}

fn buttons(action: &Value) -> Result<(), MetaError> {
    let buttons = array(action, "buttons", "interactive['action']['buttons']")?;
    if buttons.is_empty() || buttons.len() > BUTTONS_MAX {
        return Err(MetaError::invalid_value(format!(
            "Buttons count invalid: {} (min 1, max {BUTTONS_MAX}).",
            buttons.len()
        )));
    }
    let (mut titles, mut ids) = (HashSet::new(), HashSet::new());
    for (i, button) in buttons.iter().enumerate() {
        if button.get("type").and_then(Value::as_str) != Some("reply") {
            return Err(MetaError::invalid_parameter(format!(
                "Param buttons[{i}]['type'] must be 'reply'."
            )));
        }
        let reply = object(button, "reply", "reply")?;
        let id = required_str(reply, "id", "reply['id']")?;
        let title = required_str(reply, "title", "reply['title']")?;
        if title.chars().count() > BUTTON_TITLE_MAX {
            return Err(MetaError::invalid_value(format!(
                "Button title length invalid: '{title}' (min 1, max {BUTTON_TITLE_MAX})."
            )));
        }
        max_chars(id, BUTTON_ID_MAX, "reply['id']")?;
        if !titles.insert(title) {
            return Err(MetaError::invalid_value(format!(
                "Duplicate button title '{title}'; titles must be unique."
            )));
        }
        if !ids.insert(id) {
            return Err(MetaError::invalid_value(format!(
                "Duplicate button id '{id}'; ids must be unique."
            )));
        }
    }
    Ok(())
}

fn list(action: &Value) -> Result<(), MetaError> {
    let button = required_str(action, "button", "interactive['action']['button']")?;
    if button.chars().count() > LIST_BUTTON_MAX {
        return Err(MetaError::invalid_value(format!(
            "List button text length invalid: '{button}' (min 1, max {LIST_BUTTON_MAX})."
        )));
    }
    let sections = array(action, "sections", "interactive['action']['sections']")?;
    if sections.is_empty() || sections.len() > LIST_SECTIONS_MAX {
        return Err(MetaError::invalid_value(format!(
            "Sections count invalid: {} (min 1, max 10).",
            sections.len()
        )));
    }
    let mut ids = HashSet::new();
    let mut total_rows = 0;
    for section in sections {
        match section.get("title").and_then(Value::as_str) {
            Some(title) => max_chars(title, SECTION_TITLE_MAX, "sections[]['title']")?,
            None if sections.len() > 1 => {
                return Err(MetaError::invalid_parameter(
                    "Param sections[]['title'] is required with several sections.",
                ));
            }
            None => {}
        }
        for row in array(section, "rows", "sections[]['rows']")? {
            total_rows += 1;
            let id = required_str(row, "id", "rows[]['id']")?;
            let title = required_str(row, "title", "rows[]['title']")?;
            if title.chars().count() > ROW_TITLE_MAX {
                return Err(MetaError::invalid_value(format!(
                    "Row title length invalid: '{title}' (min 1, max {ROW_TITLE_MAX})."
                )));
            }
            max_chars(id, ROW_ID_MAX, "rows[]['id']")?;
            optional_max(
                row,
                "description",
                ROW_DESCRIPTION_MAX,
                "rows[]['description']",
            )?;
            if !ids.insert(id) {
                return Err(MetaError::invalid_value(format!(
                    "Duplicate row id '{id}'; ids must be unique."
                )));
            }
        }
    }
    if total_rows == 0 || total_rows > LIST_ROWS_MAX {
        return Err(MetaError::invalid_value(format!(
            "Total row count invalid: {total_rows} (min 1, max {LIST_ROWS_MAX})."
        )));
    }
    Ok(())
}

fn template(body: &Value) -> Result<(), MetaError> {
    let template = object(body, "template", "template")?;
    required_str(template, "name", "template['name']")?;
    let language = object(template, "language", "template['language']")?;
    required_str(language, "code", "template['language']['code']")?;
    if let Some(components) = template.get("components")
        && !components.is_array()
    {
        return Err(MetaError::invalid_parameter(
            "Param template['components'] must be an array.",
        ));
    }
    Ok(())
}

fn object<'a>(v: &'a Value, key: &str, param: &str) -> Result<&'a Value, MetaError> {
    match v.get(key) {
        Some(o) if o.is_object() => Ok(o),
        Some(_) => Err(MetaError::invalid_parameter(format!(
            "Param {param} must be an object."
        ))),
        None => Err(MetaError::invalid_parameter(format!(
            "The parameter {param} is required."
        ))),
    }
}

fn array<'a>(v: &'a Value, key: &str, param: &str) -> Result<&'a Vec<Value>, MetaError> {
    match v.get(key) {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(MetaError::invalid_parameter(format!(
            "Param {param} must be an array."
        ))),
        None => Err(MetaError::invalid_parameter(format!(
            "The parameter {param} is required."
        ))),
    }
}

fn required_str<'a>(v: &'a Value, key: &str, param: &str) -> Result<&'a str, MetaError> {
    match v.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(MetaError::invalid_parameter(format!(
            "Param {param} must not be empty."
        ))),
        Some(_) => Err(MetaError::invalid_parameter(format!(
            "Param {param} must be a string."
        ))),
        None => Err(MetaError::invalid_parameter(format!(
            "The parameter {param} is required."
        ))),
    }
}

fn optional_max(v: &Value, key: &str, max: usize, param: &str) -> Result<(), MetaError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) => max_chars(s, max, param),
        Some(_) => Err(MetaError::invalid_parameter(format!(
            "Param {param} must be a string."
        ))),
    }
}

fn max_chars(s: &str, max: usize, param: &str) -> Result<(), MetaError> {
    let n = s.chars().count();
    if n > max {
        return Err(MetaError::invalid_parameter(format!(
            "Param {param} must be at most {max} characters long (got {n})."
        )));
    }
    Ok(())
}
