//! Size estimate and money rules: size category from the area, bumps for cover-ups, detailed work
//! and hard placements, estimated days for XL pieces, the regional minimum budget and the
//! suggested deposit. Every amount comes from the artist's configuration. The `Estimate` it
//! produces is stored on the lead, so its type lives in `state.rs`.

use super::state::{Answers, Estimate, SizeCategory};
use crate::domain::{ArtistConfig, Money, Region};

/// The sizing rules of a category (the type itself is persisted data, in `state.rs`).
impl SizeCategory {
    /// The category of an area in cm² (< 50 SMALL, < 150 MEDIUM, < 300 LARGE, else XL).
    pub fn of_area(area_cm2: f64) -> Self {
        if area_cm2 < 50.0 {
            SizeCategory::Small
        } else if area_cm2 < 150.0 {
            SizeCategory::Medium
        } else if area_cm2 < 300.0 {
            SizeCategory::Large
        } else {
            SizeCategory::Xl
        }
    }

    /// One category up (XL stays XL).
    pub fn bumped(self) -> Self {
        match self {
            SizeCategory::Small => SizeCategory::Medium,
            SizeCategory::Medium => SizeCategory::Large,
            SizeCategory::Large | SizeCategory::Xl => SizeCategory::Xl,
        }
    }
}

/// Placements that take longer to tattoo; one of these words in the placement bumps the size.
const HARD_PLACEMENTS: [&str; 8] = [
    "rib", "spine", "back", "thigh", "sternum", "neck", "stomach", "foot",
];

/// Roughly how much skin an artist covers in one day (cm²), for XL day estimates.
const CM2_PER_DAY: f64 = 300.0;

/// Estimates a piece from the answers. Without a size there is nothing to estimate.
pub fn estimate(answers: &Answers, artist: &ArtistConfig) -> Option<Estimate> {
    let dims = answers.dimensions?;
    let area = dims.area_cm2().max(0.0);
    let mut bumped_for = Vec::new();
    if answers.coverup == Some(true) {
        bumped_for.push("cover-up".to_owned());
    }
    if answers.complexity == Some(3) {
        bumped_for.push("detailed".to_owned());
    }
    if answers.placement.as_deref().is_some_and(is_hard_placement) {
        bumped_for.push("hard placement".to_owned());
    }
    let base = SizeCategory::of_area(area);
    // Any of the reasons bumps one category; they do not stack.
    let category = if bumped_for.is_empty() {
        base
    } else {
        base.bumped()
    };
    let days = (category == SizeCategory::Xl).then(|| xl_days(area));
    let d = &artist.deposits;
    let amount = match category {
        SizeCategory::Small => d.small,
        SizeCategory::Medium => d.medium,
        SizeCategory::Large => d.large,
        SizeCategory::Xl => d.xl_per_day.saturating_mul(i64::from(days.unwrap_or(1))),
    };
    Some(Estimate {
        category,
        days,
        deposit: Money::new(amount, artist.currency),
        area_cm2: area,
        bumped_for,
    })
}

/// Days for an XL piece: a day per `CM2_PER_DAY`, at least two (XL is a multi-session piece).
fn xl_days(area_cm2: f64) -> u32 {
    let days = (area_cm2 / CM2_PER_DAY).ceil();
    if days.is_finite() {
        days.clamp(2.0, 30.0) as u32
    } else {
        2
    }
}

/// Whether a placement is one of the slow, hard ones.
pub fn is_hard_placement(placement: &str) -> bool {
    let p = placement.to_lowercase();
    p.split(|c: char| !c.is_alphanumeric()).any(|w| {
        HARD_PLACEMENTS
            .iter()
            .any(|h| w == *h || w.strip_suffix('s') == Some(h))
    })
}

/// The region whose minimum applies: where the client is (unknown → no check).
pub fn client_region(answers: &Answers) -> Option<Region> {
    let loc = answers.location.as_ref()?;
    loc.region
        .or_else(|| loc.country.as_deref().map(Region::of_country))
}

/// The shortfall check: Some(minimum) when the budget is below the artist's regional minimum.
/// Budgets in another currency are not compared (no exchange rates in the core).
pub fn below_minimum(answers: &Answers, artist: &ArtistConfig) -> Option<Money> {
    let budget = answers.budget?;
    let min = artist.minimum_for(client_region(answers)?);
    (budget.currency == min.currency && budget.amount_minor < min.amount_minor).then_some(min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use crate::parse::{Dimensions, Location};

    fn answers(w: f64, h: f64, placement: &str, complexity: u8, coverup: bool) -> Answers {
        Answers {
            dimensions: Some(Dimensions {
                width_cm: w,
                height_cm: h,
            }),
            placement: Some(placement.into()),
            complexity: Some(complexity),
            coverup: Some(coverup),
            ..Answers::default()
        }
    }

    #[test]
    fn categories_follow_the_area_and_bumps() {
        use SizeCategory::*;
        let artist = ArtistConfig::demo();
        let cases = [
            (5.0, 5.0, "forearm", 1, false, Small, None, 15_000),
            (7.0, 7.0, "forearm", 2, false, Small, None, 15_000),
            (10.0, 5.0, "forearm", 2, false, Medium, None, 15_000),
            (10.0, 15.0, "forearm", 2, false, Large, None, 20_000),
            (10.0, 14.0, "forearm", 3, false, Large, None, 20_000),
            (10.0, 14.0, "left ribs", 1, false, Large, None, 20_000),
            (10.0, 14.0, "upper back", 3, true, Large, None, 20_000),
            (5.0, 5.0, "wrist", 1, true, Medium, None, 15_000),
            (20.0, 15.0, "forearm", 1, false, Xl, Some(2), 40_000),
            (15.0, 15.0, "thigh", 1, false, Xl, Some(2), 40_000),
            (30.0, 40.0, "back", 2, false, Xl, Some(4), 80_000),
        ];
        for (w, h, place, cx, cover, cat, days, dep) in cases {
            let e = estimate(&answers(w, h, place, cx, cover), &artist).unwrap();
            assert_eq!(
                (e.category, e.days, e.deposit.amount_minor),
                (cat, days, dep),
                "{w}x{h} {place}"
            );
            assert_eq!(e.deposit.currency, Currency::GBP);
        }
        assert!(estimate(&Answers::default(), &artist).is_none());
    }

    #[test]
    fn hard_placements_are_words_not_substrings() {
        assert!(is_hard_placement("Ribs"));
        assert!(is_hard_placement("lower back"));
        assert!(is_hard_placement("spine"));
        assert!(!is_hard_placement("backhand"));
        assert!(!is_hard_placement("forearm"));
    }

    #[test]
    fn minimum_budget_is_regional_and_currency_aware() {
        let artist = ArtistConfig::demo();
        let mut a = Answers {
            budget: Some(Money::new(45_000, Currency::GBP)),
            location: Some(Location {
                city: Some("Berlin".into()),
                country: Some("DE".into()),
                region: None,
                flexible: false,
            }),
            ..Answers::default()
        };
        assert_eq!(
            below_minimum(&a, &artist),
            Some(Money::new(50_000, Currency::GBP))
        );
        a.budget = Some(Money::new(50_000, Currency::GBP));
        assert_eq!(below_minimum(&a, &artist), None);
        a.budget = Some(Money::new(100, Currency::EUR));
        assert_eq!(below_minimum(&a, &artist), None);
        a.location = None;
        assert_eq!(below_minimum(&a, &artist), None);
    }
}
