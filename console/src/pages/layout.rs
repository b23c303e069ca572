//! The page shell every console page shares (head, inline CSS, navigation, sign-out form) and
//! small formatting helpers (status badges, times, money, delivery ticks).

use crate::session::SignedIn;
use chrono::{DateTime, Utc};
use inkline_core::domain::Status;
use inkline_core::webhook::whatsapp::Delivery;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The console's stylesheet: one file, inline, readable on a phone.
pub const CSS: &str = r#"
:root{--ink:#1d1b22;--muted:#6b6775;--line:#e6e3ea;--bg:#f7f6f9;--card:#fff;--accent:#5b3df5;--accent-2:#efeaff;
--ok:#17804a;--warn:#a86300;--bad:#b42318;--radius:12px;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font-size:15px;line-height:1.45}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{background:var(--ink);color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header.top .brand{font-weight:700;letter-spacing:.02em;color:#fff;margin-right:.5rem}
header.top nav{display:flex;gap:.25rem;flex-wrap:wrap;flex:1}
header.top nav a{color:#d9d4ff;padding:.3rem .6rem;border-radius:8px}header.top nav a.on,header.top nav a:hover{background:#ffffff1f;color:#fff;text-decoration:none}
header.top .who{font-size:.85rem;color:#bdb7c9;display:flex;gap:.5rem;align-items:center}
header.top .who button{background:none;border:1px solid #ffffff40;color:#fff;padding:.2rem .6rem;font-size:.8rem}
main{max-width:1100px;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.3rem 0 1rem}h2{font-size:1.05rem;margin:0 0 .6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1rem;margin-bottom:1rem;min-width:0;overflow-wrap:anywhere}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(300px,1fr))}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
tr:last-child td{border-bottom:none}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}.small{font-size:.82rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.72rem;font-weight:600;letter-spacing:.02em;background:#eee;color:#444;white-space:nowrap}
.b-new,.b-qualifying{background:#e8f0ff;color:#1f4fbf}.b-pending_approval,.b-needs_artist_reply,.b-needs_follow_up{background:#fff3dc;color:#8a5200}
.b-awaiting_deposit,.b-deposit_expired,.b-tour_conversion_offered,.b-collecting_time_windows{background:#f1e8ff;color:#5b2bb5}
.b-deposit_paid,.b-booking_pending,.b-booked{background:#e3f6ea;color:#17663b}
.b-rejected,.b-optout,.b-cancelled,.b-refunded,.b-abandoned,.b-stale,.b-waitlisted{background:#f0eff2;color:#5d5966}
form.inline{display:inline}form.filters{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end}
label{display:block;font-size:.8rem;color:var(--muted);margin-bottom:.2rem}
input,select,textarea{font:inherit;padding:.45rem .6rem;border:1px solid var(--line);border-radius:8px;background:#fff;color:var(--ink);max-width:100%}
textarea{width:100%;min-height:4.5rem}
button,.button{font:inherit;cursor:pointer;border:1px solid var(--accent);background:var(--accent);color:#fff;padding:.45rem .9rem;border-radius:8px;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:#fff;color:var(--bad);border-color:#f1c4c0}
button:disabled{opacity:.45;cursor:not-allowed}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}.actions form{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:.7rem;flex:1 1 220px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}.kv dt{color:var(--muted)}.kv dd{margin:0}
.chat{display:flex;flex-direction:column;gap:.35rem}
.bubble{max-width:80%;padding:.45rem .7rem;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}
.bubble.in{align-self:flex-start;background:#fff;border:1px solid var(--line)}.bubble.out{align-self:flex-end;background:#dcf8c6}
.bubble .meta{display:block;font-size:.7rem;color:var(--muted);text-align:right;margin-top:.15rem}
.tick-read{color:#34b7f1}.tick-failed{color:var(--bad)}
.tiles{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:1rem}.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.4rem .7rem;font-size:.85rem}
.tile b{font-size:1.05rem;margin-right:.3rem}
.flash{padding:.6rem .8rem;border-radius:10px;margin-bottom:1rem}.flash.ok{background:#e3f6ea;color:#17663b}.flash.err{background:#fde8e7;color:var(--bad)}
.refs{display:flex;gap:.5rem;flex-wrap:wrap}.refs img{width:120px;height:120px;object-fit:cover;border-radius:8px;border:1px solid var(--line);background:var(--bg)}
.bar{height:8px;background:var(--accent-2);border-radius:4px;overflow:hidden}.bar span{display:block;height:100%;background:var(--accent)}
.pager{display:flex;justify-content:space-between;margin-top:.8rem}
.login{max-width:380px;margin:8vh auto}.login input{width:100%}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.82rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
@media (max-width:640px){main{padding:.6rem}.hide-sm{display:none}.bubble{max-width:92%}th,td{padding:.45rem .25rem}}
"#;

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Leads,
    Funnel,
    Queues,
    Artists,
    None,
}

/// A full console page for a signed-in person.
pub fn page(title: &str, who: &SignedIn, nav: Nav, body: Markup) -> Markup {
    let link = |href: &str, label: &str, this: Nav| html! { a href=(href) class=[(nav == this).then_some("on")] { (label) } };
    shell(
        title,
        html! {
            header.top {
                a.brand href="/" { "Inkline" }
                nav {
                    (link("/leads", "Leads", Nav::Leads))
                    (link("/funnel", "Funnel", Nav::Funnel))
                    @if who.who.is_admin() {
                        (link("/queues", "Queues", Nav::Queues))
                        (link("/artists", "Artists", Nav::Artists))
                    }
                }
                div.who {
                    span { @match who.who.artist() { Some(slug) => { "artist " (slug) }, None => "admin" } }
                    form.inline method="post" action="/logout" {
                        (crate::csrf::field(&who.session))
                        button type="submit" { "Sign out" }
                    }
                }
            }
            main { (body) }
        },
    )
}

/// The bare HTML document.
pub fn shell(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Inkline" }
                style { (PreEscaped(CSS)) }
            }
            body { (body) }
        }
    }
}

/// A status as a coloured badge.
pub fn badge(status: Status) -> Markup {
    let s = status.as_str();
    html! { span class={"badge b-" (s.to_ascii_lowercase())} { (s) } }
}

/// `25 Nov 10:04` in UTC (the console shows UTC; times in JSON are RFC 3339).
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%d %b %H:%M").to_string()
}

/// `2026-11-25 10:04:05 UTC`.
pub fn when_long(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Minor units as `£150.00` (or `150.00 XYZ`).
pub fn money(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let a = amount_minor.unsigned_abs();
    let symbol = inkline_core::domain::Currency::parse(currency)
        .ok()
        .and_then(|c| c.symbol());
    match symbol {
        Some(sym) => format!("{sign}{sym}{}.{:02}", a / 100, a % 100),
        None => format!("{sign}{}.{:02} {currency}", a / 100, a % 100),
    }
}

/// WhatsApp-style ticks for a delivery state (`None`: not sent yet).
pub fn ticks(delivery: Option<Delivery>) -> Markup {
    match delivery {
        Some(Delivery::Sent) => html! { span title="sent" { "✓" } },
        Some(Delivery::Delivered) => html! { span title="delivered" { "✓✓" } },
        Some(Delivery::Read) => html! { span.tick-read title="read" { "✓✓" } },
        Some(Delivery::Failed) => html! { span.tick-failed title="failed" { "⚠ failed" } },
        None => html! { span.muted title="queued" { "🕓" } },
    }
}

/// A percentage, or a dash when undefined.
pub fn percent(ratio: Option<f64>) -> String {
    ratio
        .map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "–".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_percent() {
        assert_eq!(money(15_000, "GBP"), "£150.00");
        assert_eq!(money(-5, "EUR"), "-€0.05");
        assert_eq!(money(12_345, "CHF"), "123.45 CHF");
        assert_eq!(percent(Some(0.5)), "50%");
        assert_eq!(percent(None), "–");
    }
}
