//! Spelled-out numbers ("four hundred", "a grand", "ten") rewritten as digits for the number parsers.

/// The value of a single number word ("seven" → 7, "twenty" → 20).
pub fn small_number(word: &str) -> Option<u64> {
    let n = match word {
        "zero" | "nil" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" | "fourty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    };
    Some(n)
}

/// The position of an ordinal word or abbreviation ("second" → 2, "3rd" → 3).
pub fn ordinal(word: &str) -> Option<u64> {
    let n = match word {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "sixth" | "6th" => 6,
        "seventh" | "7th" => 7,
        "eighth" | "8th" => 8,
        "ninth" | "9th" => 9,
        "tenth" | "10th" => 10,
        _ => return None,
    };
    Some(n)
}

fn scale(word: &str) -> Option<u64> {
    match word {
        "hundred" => Some(100),
        "thousand" => Some(1000),
        _ => None,
    }
}

/// Rewrites runs of number words in folded text as digits: "four hundred pounds" → "400 pounds",
/// "two and a half" stays as is, "a grand" → "1 grand", "twenty-five" → "25". Spacing is
/// normalised to single spaces; everything else is kept.
pub fn digits_for_words(folded: &str) -> String {
    let tokens: Vec<&str> = folded.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match read_number(&tokens, i) {
            Some((value, next, trailing)) => {
                out.push(format!("{value}{trailing}"));
                i = next;
            }
            None => {
                out.push(tokens[i].to_owned());
                i += 1;
            }
        }
    }
    out.join(" ")
}

/// Splits trailing punctuation off a token: "hundred," → ("hundred", ",").
fn core(token: &str) -> (&str, &str) {
    let end = token
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .len();
    let start_trim = token[..end].trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    (start_trim, &token[end..])
}

fn word_value(word: &str) -> Option<u64> {
    if let Some(n) = small_number(word) {
        return Some(n);
    }
    // "twenty-five"
    let (tens, unit) = word.split_once('-')?;
    let tens = small_number(tens).filter(|t| *t >= 20 && t % 10 == 0)?;
    let unit = small_number(unit).filter(|u| (1..10).contains(u))?;
    Some(tens + unit)
}

/// Reads a number starting at `start`: its digits, the index after it and trailing punctuation.
fn read_number(tokens: &[&str], start: usize) -> Option<(String, usize, String)> {
    let (first, _) = core(tokens[start]);
    let next_is_scale = |i: usize| {
        tokens.get(i + 1).is_some_and(|t| {
            let (w, _) = core(t);
            scale(w).is_some() || w == "grand"
        })
    };
    let opens = word_value(first).is_some()
        || ((first == "a" || first == "an") && next_is_scale(start))
        || (first.chars().all(|c| c.is_ascii_digit()) && !first.is_empty() && next_is_scale(start));
    if !opens {
        return None;
    }
    let mut total: u64 = 0;
    let mut current: u64 = 0;
    let mut i = start;
    let mut trailing = String::new();
    let mut seen_any = false;
    let mut half = false;
    while i < tokens.len() {
        let (w, punct) = core(tokens[i]);
        let value = if w == "a" || w == "an" {
            next_is_scale(i).then_some(1)
        } else if !w.is_empty()
            && w.len() <= 9
            && w.chars().all(|c| c.is_ascii_digit())
            && i == start
        {
            w.parse::<u64>().ok()
        } else {
            word_value(w)
        };
        if let Some(v) = value {
            current = current.saturating_add(v);
        } else if let Some(s) = scale(w) {
            if !seen_any {
                break;
            }
            if s == 1000 {
                total = total.saturating_add(current.max(1).saturating_mul(s));
                current = 0;
            } else {
                current = current.max(1).saturating_mul(s);
            }
        } else if w == "and"
            && seen_any
            && punct.is_empty()
            && tokens.get(i + 1) == Some(&"a")
            && tokens.get(i + 2).is_some_and(|t| core(t).0 == "half")
        {
            // "two and a half (grand)".
            half = true;
            trailing = core(tokens[i + 2]).1.to_owned();
            i += 3;
            break;
        } else if w == "and" && seen_any && punct.is_empty() {
            // "four hundred and fifty": only when a number word follows.
            let continues = tokens
                .get(i + 1)
                .is_some_and(|t| word_value(core(t).0).is_some());
            if !continues {
                break;
            }
            i += 1;
            continue;
        } else {
            break;
        }
        seen_any = true;
        i += 1;
        if !punct.is_empty() {
            trailing = punct.to_owned();
            break;
        }
    }
    if !seen_any {
        return None;
    }
    let value = total.saturating_add(current);
    let digits = if half {
        format!("{value}.5")
    } else {
        value.to_string()
    };
    Some((digits, i, trailing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_number_words() {
        let cases = [
            ("four hundred pounds", "400 pounds"),
            ("about five hundred quid", "about 500 quid"),
            ("a grand", "1 grand"),
            ("two grand", "2 grand"),
            ("two thousand euros", "2000 euros"),
            ("four hundred and fifty", "450"),
            ("twenty-five", "25"),
            ("ten by fifteen cm", "10 by 15 cm"),
            ("5 hundred", "500"),
            ("a small rose", "a small rose"),
            ("one hundred, maybe more", "100, maybe more"),
            ("rock and roll", "rock and roll"),
            ("two and a half grand", "2.5 grand"),
            ("one and a half inches", "1.5 inches"),
        ];
        for (input, want) in cases {
            assert_eq!(digits_for_words(input), want, "{input}");
        }
    }

    #[test]
    fn ordinals_and_small_numbers() {
        assert_eq!(ordinal("second"), Some(2));
        assert_eq!(ordinal("3rd"), Some(3));
        assert_eq!(small_number("seven"), Some(7));
        assert_eq!(small_number("many"), None);
    }
}
