//! Stripe's request encoding: `application/x-www-form-urlencoded` with bracket notation
//! (`line_items[0][price_data][unit_amount]=5000`, `metadata[lead_id]=lead_42`). Keys are kept
//! flat, exactly as sent; the accessors below read the nested shapes the fake needs.

use std::collections::BTreeMap;

use super::stripe_error::StripeError;

/// A parsed form body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Parses `body`, refusing keys whose brackets do not nest (`a[b`, `a]`, `[x]`).
    pub(crate) fn parse(body: &[u8]) -> Result<Form, StripeError> {
        let mut pairs = Vec::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if !well_formed(&k) {
                return Err(StripeError::invalid_request(
                    format!("Invalid form key: {k}"),
                    Some(k.to_string()),
                ));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Form { pairs })
    }

    /// Every pair, in the order sent.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The pairs sorted, so the same parameters in another order compare equal (idempotency).
    pub(crate) fn fingerprint(&self) -> Vec<(String, String)> {
        let mut sorted = self.pairs.clone();
        sorted.sort();
        sorted
    }

    /// The value of the flat key (`line_items[0][quantity]`); the last one wins if repeated.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A string map such as `metadata[...]`: every `prefix[name]` key with no deeper nesting.
    pub(crate) fn map(&self, prefix: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.pairs {
            if let Some(name) = k
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('['))
                .and_then(|r| r.strip_suffix(']'))
                && !name.is_empty()
                && !name.contains(['[', ']'])
            {
                out.insert(name.to_string(), v.clone());
            }
        }
        out
    }

    /// The distinct indices `N` of an array such as `line_items[N]...`, ascending.
    pub(crate) fn indices(&self, prefix: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .pairs
            .iter()
            .filter_map(|(k, _)| {
                let rest = k.strip_prefix(prefix)?.strip_prefix('[')?;
                let (index, _) = rest.split_once(']')?;
                index.parse().ok()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `name` followed by zero or more `[segment]`, segments free of brackets (`[]` allowed).
fn well_formed(key: &str) -> bool {
    let (name, mut rest) = match key.find('[') {
        Some(i) => key.split_at(i),
        None => (key, ""),
    };
    if name.is_empty() || name.contains(']') {
        return false;
    }
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return false;
        };
        let Some(close) = inner.find(']') else {
            return false;
        };
        if inner[..close].contains('[') {
            return false;
        }
        rest = &inner[close + 1..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_line_items_and_maps() {
        let body = b"mode=payment&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=eur\
&line_items[0][price_data][unit_amount]=5000&line_items[1][quantity]=2\
&metadata[lead_id]=lead_42&metadata[artist]=demo&payment_intent_data[metadata][lead_id]=lead_42";
        let form = Form::parse(body).expect("valid form");
        assert_eq!(form.get("mode"), Some("payment"));
        assert_eq!(form.get("line_items[0][price_data][currency]"), Some("eur"));
        assert_eq!(form.indices("line_items"), vec![0, 1]);
        let meta = form.map("metadata");
        assert_eq!(meta.len(), 2);
        assert_eq!(meta.get("lead_id").map(String::as_str), Some("lead_42"));
        assert_eq!(
            form.map("payment_intent_data[metadata]")
                .get("lead_id")
                .map(String::as_str),
            Some("lead_42")
        );
    }

    #[test]
    fn refuses_broken_brackets_and_orders_fingerprints() {
        for bad in ["a[b=1", "a]=1", "[x]=1", "a[b[c]]=1", "a[b]c=1"] {
            assert!(Form::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let a = Form::parse(b"x=1&y=2").expect("valid");
        let b = Form::parse(b"y=2&x=1").expect("valid");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert!(Form::parse(b"expand[]=a&expand[]=b").is_ok());
    }
}
