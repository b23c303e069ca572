//! `GET /admin/funnel?artist=&weeks=`: the conversion funnel as JSON (the console's Funnel page
//! shows the same numbers).

use super::error::ApiError;
use crate::funnel;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub struct FunnelQuery {
    artist: Option<String>,
    weeks: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Query(q): Query<FunnelQuery>,
) -> Result<Json<Value>, ApiError> {
    let weeks = match q.weeks.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 8,
        Some(w) => w
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=104).contains(n))
            .ok_or_else(|| ApiError::bad_request("invalid_weeks", "weeks must be 1 to 104"))?,
    };
    let artist = q.artist.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let f = funnel::read(&state.pool, artist, weeks)
        .await
        .map_err(|e| ApiError::internal("cannot read the funnel", e))?;
    let row = |r: &funnel::FunnelRow| {
        let mut counts = serde_json::Map::new();
        for (name, n) in funnel::STEPS.iter().zip(r.counts) {
            counts.insert((*name).to_owned(), json!(n));
        }
        let conv = r.conversion();
        json!({"artist": r.artist, "week": r.week, "counts": counts,
               "conversion": {"qualified": conv[0], "approved": conv[1], "paid": conv[2], "booked": conv[3]},
               "overall": r.overall()})
    };
    Ok(Json(json!({
        "steps": funnel::STEPS,
        "weeks": f.weeks,
        "total": row(&f.total),
        "per_artist": f.per_artist.iter().map(row).collect::<Vec<_>>(),
        "per_week": f.rows.iter().map(row).collect::<Vec<_>>(),
    })))
}
