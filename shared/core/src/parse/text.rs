//! Text folding shared by the parsers: case, accents, typographic quotes and dashes, done once.

/// Lower-cases and folds what phones and keyboards add: accents (`ü` → `u`, `ß` → `ss`), curly
/// quotes, long dashes, `×` and non-breaking spaces. Other characters (emoji included) are kept.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for upper in text.chars() {
        for c in upper.to_lowercase() {
            match fold_char(c) {
                Some(s) => out.push_str(s),
                None => out.push(c),
            }
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' | 'į' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' | 'ŕ' => "r",
        'ß' => "ss",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ť' | 'ţ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'þ' => "th",
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '\u{00B4}' | '\u{2032}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '×' | '✕' | '✖' => "x",
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2009}' | '\u{200A}' => " ",
        // Combining accents (from decomposed input) and zero-width characters carry no meaning here.
        '\u{0300}'..='\u{036F}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}' => "",
        _ => return None,
    };
    Some(s)
}

/// The words of folded text: runs of ASCII letters, digits and apostrophes.
pub fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Collapses runs of the same letter ("yesss" → "yes", "noooo" → "no") so drawn-out words compare.
pub fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_typography() {
        let cases = [
            ("Düsseldorf", "dusseldorf"),
            ("MÜNCHEN", "munchen"),
            ("Straße", "strasse"),
            ("Kraków", "krakow"),
            ("don’t", "don't"),
            ("10×15", "10x15"),
            ("4”x6”", "4\"x6\""),
            ("400–600", "400-600"),
            ("São Paulo", "sao paulo"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "{input}");
        }
    }

    #[test]
    fn splits_words_and_squeezes() {
        assert_eq!(words("yes!! 👍 i'm in"), vec!["yes", "i'm", "in"]);
        assert_eq!(squeeze("yesss"), "yes");
        assert_eq!(squeeze("nooo"), "no");
    }
}
