//! Search without regard to case or accents: text is folded the same way when stored and when
//! asked for.

use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

/// `text` folded for search: decomposed (NFKD), without combining marks, lowercase, control
/// characters taken for spaces, with runs of spaces made one. "Beyoncé" and "BEYONCE" fold alike; "Œ" becomes "oe" only as far as NFKD
/// goes (it does not split ligatures that are letters of their own).
pub fn search_key(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|character| !is_combining_mark(*character))
        .map(|character| {
            if character.is_control() {
                ' '
            } else {
                character
            }
        })
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_fold_alike() {
        assert_eq!(search_key("Beyoncé"), "beyonce");
        assert_eq!(search_key("BEYONCE"), "beyonce");
        assert_eq!(
            search_key("Sigur Rós  –  Ágætis byrjun"),
            "sigur ros – agætis byrjun"
        );
        assert_eq!(search_key("Ｍｏｔörhead"), "motorhead");
        assert_eq!(search_key("Zoë Keating"), "zoe keating");
        assert_eq!(search_key("a\u{0}b\u{6}\u{7f}c"), "a b c");
    }
}
