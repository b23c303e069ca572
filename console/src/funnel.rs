//! The conversion funnel (enquiries → qualified → approved → paid → booked) per artist and per
//! week, from the lifecycle timestamp columns of `leads`. Each lead counts in the week it arrived
//! (a cohort), so a week's numbers only ever grow as its leads move on.

use chrono::{DateTime, Utc};
use infra::store::funnel;
use serde::Serialize;
use sqlx::PgPool;

/// The steps, in order; each one's count includes every lead that went further.
pub const STEPS: [&str; 5] = ["enquiries", "qualified", "approved", "paid", "booked"];

/// Counts for one artist and one week (or a total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelRow {
    pub artist: String,
    /// Monday 00:00 UTC of the cohort week; None for totals.
    pub week: Option<DateTime<Utc>>,
    pub counts: [i64; 5],
}

impl FunnelRow {
    /// Conversion from the previous step, per step after the first (None when nothing to convert).
    pub fn conversion(&self) -> [Option<f64>; 4] {
        let mut out = [None; 4];
        for (i, slot) in out.iter_mut().enumerate() {
            let (prev, this) = (self.counts[i], self.counts[i + 1]);
            *slot = (prev > 0).then(|| this as f64 / prev as f64);
        }
        out
    }

    /// Enquiries that ended booked.
    pub fn overall(&self) -> Option<f64> {
        (self.counts[0] > 0).then(|| self.counts[4] as f64 / self.counts[0] as f64)
    }

    fn add(&mut self, other: &FunnelRow) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }
}

/// The funnel over the last `weeks` weeks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    pub weeks: i64,
    /// Per artist and week, newest week first.
    pub rows: Vec<FunnelRow>,
    /// Per artist over the whole range.
    pub per_artist: Vec<FunnelRow>,
    /// Everything in range (`artist` is `*`).
    pub total: FunnelRow,
}

/// Reads the funnel for `artist` (every artist when None) over the last `weeks` weeks.
pub async fn read(pool: &PgPool, artist: Option<&str>, weeks: i64) -> Result<Funnel, sqlx::Error> {
    let weeks = weeks.clamp(1, 104);
    let out: Vec<FunnelRow> = funnel::cohorts(pool, artist, weeks as i32)
        .await?
        .into_iter()
        .map(|c| FunnelRow {
            artist: c.artist,
            week: Some(c.week),
            counts: c.counts,
        })
        .collect();
    let mut per_artist: Vec<FunnelRow> = Vec::new();
    let mut total = FunnelRow {
        artist: "*".into(),
        week: None,
        counts: [0; 5],
    };
    for row in &out {
        total.add(row);
        match per_artist.iter_mut().find(|p| p.artist == row.artist) {
            Some(p) => p.add(row),
            None => per_artist.push(FunnelRow {
                week: None,
                ..row.clone()
            }),
        }
    }
    per_artist.sort_by(|a, b| a.artist.cmp(&b.artist));
    Ok(Funnel {
        weeks,
        rows: out,
        per_artist,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_per_step_and_overall() {
        let row = FunnelRow {
            artist: "demo".into(),
            week: None,
            counts: [10, 5, 4, 2, 0],
        };
        assert_eq!(
            row.conversion(),
            [Some(0.5), Some(0.8), Some(0.5), Some(0.0)]
        );
        assert_eq!(row.overall(), Some(0.0));
        let empty = FunnelRow {
            artist: "x".into(),
            week: None,
            counts: [0; 5],
        };
        assert_eq!(empty.conversion(), [None; 4]);
    }
}
