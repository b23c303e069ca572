//! The conversion funnel's counts: per artist and cohort week (the week a lead arrived), how many
//! leads reached each step, read from the lifecycle timestamp columns of `leads`. The console
//! (`console::funnel`) adds them up and computes the conversions.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Leads of one artist that arrived in one week, and how far they got: enquiries, qualified,
/// approved, paid, booked (each count includes every lead that went further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    /// The artist's slug.
    pub artist: String,
    /// Monday 00:00 UTC of the week.
    pub week: DateTime<Utc>,
    pub counts: [i64; 5],
}

/// The cohorts of the last `weeks` weeks (this one included) of `artist` (every artist when
/// None), newest week first, then by artist.
pub async fn cohorts(
    db: impl PgExecutor<'_>,
    artist: Option<&str>,
    weeks: i32,
) -> Result<Vec<Cohort>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.slug, date_trunc('week', l.created_at) AS "week!",
                count(*) AS "enquiries!",
                count(COALESCE(l.pending_approval_at, l.approved_at, l.deposit_paid_at, l.booked_at)) AS "qualified!",
                count(COALESCE(l.approved_at, l.deposit_paid_at, l.booked_at)) AS "approved!",
                count(COALESCE(l.deposit_paid_at, l.booked_at)) AS "paid!",
                count(l.booked_at) AS "booked!"
         FROM leads l JOIN artists a ON a.id = l.artist_id
         WHERE l.created_at >= date_trunc('week', now()) - make_interval(weeks => $1::int - 1)
           AND ($2::text IS NULL OR a.slug = $2)
         GROUP BY a.slug, 2
         ORDER BY 2 DESC, a.slug"#,
        weeks,
        artist,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Cohort {
            artist: r.slug,
            week: r.week,
            counts: [r.enquiries, r.qualified, r.approved, r.paid, r.booked],
        })
        .collect())
}
