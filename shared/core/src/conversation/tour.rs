//! Guest spots: a client who wants a city the artist does not normally work in is offered the
//! nearest upcoming tour stop (TOUR_CONVERSION_OFFERED, accept → PENDING_APPROVAL, decline →
//! WAITLISTED); with no tour planned they are waitlisted.

use super::approval;
use super::context::Ctx;
use super::handover::{self, Reason};
use super::input::Input;
use super::questions::QuestionKey;
use super::state::{Answers, Reference, TourOffer};
use super::summary::{artist_brief, client_label};
use crate::domain::artist::TourStop;
use crate::domain::{ArtistConfig, Choice, IllegalTransition, MessageBody, Status};
use crate::parse;
use chrono::NaiveDate;
use serde_json::json;

pub const ACCEPT_ID: &str = "tour_accept";
pub const DECLINE_ID: &str = "tour_decline";

/// Where the client's tattoo can happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// In a home city (or the artist has no city restriction, or the client is flexible).
    Home,
    /// Elsewhere, and this upcoming guest spot is the best match.
    Offer(TourStop),
    /// Elsewhere, and no guest spot is planned.
    NoTour,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Decides the fit for the client's wanted city on `today` (in the artist's time zone).
pub fn fit(answers: &Answers, artist: &ArtistConfig, today: NaiveDate) -> Fit {
    if artist.home_cities.is_empty() || answers.location.as_ref().is_some_and(|l| l.flexible) {
        return Fit::Home;
    }
    let Some(city) = answers.wanted_city() else {
        return Fit::Home;
    };
    if artist.home_cities.iter().any(|h| same(h, city)) {
        return Fit::Home;
    }
    let country = answers.location.as_ref().and_then(|l| l.country.as_deref());
    let mut upcoming: Vec<&TourStop> = artist.tour.iter().filter(|s| s.to >= today).collect();
    upcoming.sort_by_key(|s| s.from);
    let best = upcoming
        .iter()
        .find(|s| same(&s.city, city))
        .or_else(|| {
            upcoming
                .iter()
                .find(|s| country.is_some_and(|c| same(&s.country, c)))
        })
        .or_else(|| upcoming.first());
    match best {
        Some(stop) => Fit::Offer((*stop).clone()),
        None => Fit::NoTour,
    }
}

fn dates(offer: &TourOffer) -> String {
    use chrono::Datelike;
    if offer.from == offer.to {
        offer.from.format("%-d %B").to_string()
    } else if (offer.from.year(), offer.from.month()) == (offer.to.year(), offer.to.month()) {
        format!("{}–{}", offer.from.day(), offer.to.format("%-d %B"))
    } else {
        format!(
            "{}–{}",
            offer.from.format("%-d %B"),
            offer.to.format("%-d %B")
        )
    }
}

/// QUALIFYING/NEEDS_FOLLOW_UP → TOUR_CONVERSION_OFFERED with the stop's buttons.
pub fn offer(
    ctx: &mut Ctx,
    stop: TourStop,
    prefix: Option<String>,
) -> Result<(), IllegalTransition> {
    ctx.move_to(Status::TourConversionOffered, "outside_home_cities")?;
    ctx.state.tour_offer = Some(TourOffer {
        city: stop.city,
        country: stop.country,
        from: stop.from,
        to: stop.to,
    });
    send_offer(ctx, prefix);
    Ok(())
}

/// (Re)sends the offer, as first asked or as a re-ask.
pub fn send_offer(ctx: &mut Ctx, prefix: Option<String>) {
    let Some(offer) = ctx.state.tour_offer.clone() else {
        return;
    };
    let key = if ctx.state.reasks == 0 {
        "tour.offer"
    } else {
        "tour.reask"
    };
    let mut text = ctx
        .copy()
        .fill(key, &[("city", &offer.city), ("dates", &dates(&offer))]);
    if let Some(p) = prefix {
        text = format!("{p}\n\n{text}");
    }
    let buttons = vec![
        Choice::new(ACCEPT_ID, ctx.copy().text("button.tour_accept")),
        Choice::new(DECLINE_ID, ctx.copy().text("button.tour_decline")),
    ];
    ctx.say(MessageBody::Buttons { text, buttons });
}

/// Elsewhere and nothing planned → WAITLISTED.
pub fn no_tour(ctx: &mut Ctx, prefix: Option<String>) -> Result<(), IllegalTransition> {
    ctx.move_to(Status::Waitlisted, "no_tour_nearby")?;
    let home = ctx.artist.home_cities.join(" / ");
    let mut text = ctx.copy().fill("tour.none", &[("home", &home)]);
    if let Some(p) = prefix {
        text = format!("{p}\n\n{text}");
    }
    ctx.say_text(text);
    notify_waitlisted(ctx);
    Ok(())
}

fn notify_waitlisted(ctx: &mut Ctx) {
    let city = ctx
        .state
        .answers
        .wanted_city()
        .unwrap_or("another city")
        .to_owned();
    let (client, brief) = (
        client_label(&ctx.state),
        artist_brief(&ctx.state, ctx.artist),
    );
    let text = ctx.copy().fill(
        "artist.waitlisted",
        &[("client", &client), ("city", &city), ("brief", &brief)],
    );
    ctx.notify_artist(text);
}

/// The client's answer to the offer.
pub fn reply(ctx: &mut Ctx, input: &Input) -> Result<(), IllegalTransition> {
    let choice = match input {
        Input::Choice { id, .. } if id == ACCEPT_ID => Some(true),
        Input::Choice { id, .. } if id == DECLINE_ID => Some(false),
        Input::Choice { id, .. } => parse::yes_no(id),
        Input::Text { text, .. } => parse::yes_no(text),
        Input::Image { media_id, caption } => {
            let at = ctx.state.last_inbound_at.unwrap_or(ctx.now);
            ctx.state.references.push(Reference::Image {
                media_id: media_id.clone(),
                caption: caption.clone(),
                at,
            });
            let text = ctx.copy().text("refs.added_later");
            ctx.say_text(text);
            return Ok(());
        }
        Input::Reaction => return Ok(()),
        Input::Location { .. } | Input::Unsupported { .. } => None,
    };
    match choice {
        Some(true) => {
            let city = ctx
                .state
                .tour_offer
                .as_ref()
                .map(|o| o.city.clone())
                .unwrap_or_default();
            ctx.record(QuestionKey::TravelCity, json!(city), Some("tour accepted"));
            ctx.state.answers.travel_city = Some(city.clone());
            ctx.state.reasks = 0;
            approval::pending_approval(ctx, "tour_accepted", None, Some(&city))
        }
        Some(false) => {
            ctx.move_to(Status::Waitlisted, "tour_declined")?;
            ctx.state.reasks = 0;
            let text = ctx.copy().text("tour.declined");
            ctx.say_text(text);
            notify_waitlisted(ctx);
            Ok(())
        }
        None => {
            ctx.state.reasks = ctx.state.reasks.saturating_add(1);
            if ctx.state.reasks >= 3 {
                ctx.state.reasks = 0;
                return handover::hand_over(
                    ctx,
                    Reason::Stuck,
                    "didn't answer the guest-spot offer",
                );
            }
            send_offer(ctx, None);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Location;

    fn wants(city: &str, country: &str) -> Answers {
        Answers {
            location: Some(Location {
                city: Some(city.into()),
                country: Some(country.into()),
                region: None,
                flexible: false,
            }),
            ..Answers::default()
        }
    }

    fn stop(city: &str, country: &str, from: &str, to: &str) -> TourStop {
        TourStop {
            city: city.into(),
            country: country.into(),
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }
    }

    #[test]
    fn the_nearest_fitting_upcoming_stop_is_offered() {
        let mut artist = ArtistConfig::demo();
        artist.tour = vec![
            stop("Paris", "FR", "2026-10-01", "2026-10-03"),
            stop("Munich", "DE", "2027-02-01", "2027-02-03"),
            stop("Berlin", "DE", "2026-12-01", "2026-12-05"),
            stop("Rome", "IT", "2026-11-20", "2026-11-22"),
        ];
        let today: NaiveDate = "2026-11-01".parse().unwrap();
        let at = |a: &Answers| match fit(a, &artist, today) {
            Fit::Offer(s) => s.city,
            other => format!("{other:?}"),
        };
        assert_eq!(fit(&wants("london", "GB"), &artist, today), Fit::Home);
        assert_eq!(at(&wants("Berlin", "DE")), "Berlin");
        assert_eq!(at(&wants("Hamburg", "DE")), "Berlin");
        assert_eq!(at(&wants("Madrid", "ES")), "Rome");
        assert_eq!(at(&wants("Paris", "FR")), "Rome", "the Paris stop is over");
        let mut travel = wants("Madrid", "ES");
        travel.travel_city = Some("London".into());
        assert_eq!(fit(&travel, &artist, today), Fit::Home);
        artist.tour.clear();
        assert_eq!(fit(&wants("Madrid", "ES"), &artist, today), Fit::NoTour);
        artist.home_cities.clear();
        assert_eq!(fit(&wants("Madrid", "ES"), &artist, today), Fit::Home);
    }
}
