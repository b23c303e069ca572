//! Client answers that complete the demo artist's consultation (transcript 01), one per question.

pub const HAPPY_PATH: [&str; 13] = [
    "Hi",
    "A fine-line swallow with a small banner",
    "left forearm",
    "10x15cm",
    "fine line",
    "2",
    "no",
    "no",
    "£600",
    "London",
    "@sam.ink",
    "skip",
    "in the next couple of months",
];
