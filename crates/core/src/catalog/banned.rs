//! Banned words in product text: absolute claims that China's Advertising Law (广告法 第九条) forbids, plus
//! whatever the merchant adds. A shop either blocks a save that contains one or only warns.

use std::collections::{HashMap, HashSet};

use crate::error::{count, Reason};
use crate::FieldError;

/// The words a new shop starts with: superlatives and absolute claims.
pub const DEFAULT_BANNED_WORDS: &[&str] = &[
    "最",
    "最佳",
    "最好",
    "最优",
    "最强",
    "最大",
    "最高",
    "最高级",
    "最低",
    "最低价",
    "最便宜",
    "最先进",
    "最新技术",
    "第一",
    "第一品牌",
    "全国第一",
    "全网第一",
    "销量第一",
    "排名第一",
    "NO.1",
    "TOP1",
    "国家级",
    "世界级",
    "全球级",
    "宇宙级",
    "顶级",
    "顶尖",
    "极品",
    "极致",
    "终极",
    "史上",
    "史无前例",
    "前无古人",
    "唯一",
    "独一无二",
    "绝对",
    "万能",
    "首个",
    "首家",
    "首选",
    "全网最低",
    "全网首发",
    "全球首发",
    "独家",
    "王牌",
    "领袖品牌",
    "遥遥领先",
    "国际品质",
];

/// Largest banned-word list a shop may keep.
pub const BANNED_WORDS_MAX: usize = 500;
/// Longest banned word, in characters.
pub const BANNED_WORD_MAX_CHARS: usize = 20;

/// What saving text with a banned word does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannedMode {
    /// The save is refused.
    Block,
    /// The save goes through; the hits are shown to the operator.
    Warn,
}

impl BannedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BannedMode::Block => "block",
            BannedMode::Warn => "warn",
        }
    }

    /// `block` or `warn` (case and surrounding spaces ignored); `None` for anything else.
    pub fn parse(s: &str) -> Option<BannedMode> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("block") {
            Some(BannedMode::Block)
        } else if t.eq_ignore_ascii_case("warn") {
            Some(BannedMode::Warn)
        } else {
            None
        }
    }
}

/// One banned word found in one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannedHit {
    /// The word as it is in the list (the text may differ in ASCII letter case).
    pub word: String,
    /// The field the text came from, as passed to [`BannedWords::scan`].
    pub field: String,
    /// Index of the first character of the match, counted in characters (not bytes).
    pub position: usize,
}

impl BannedHit {
    /// Length of the match in characters, for highlighting `position..position + char_len()`.
    pub fn char_len(&self) -> usize {
        self.word.chars().count()
    }
}

/// A shop's banned-word list, ready to scan text.
#[derive(Debug, Clone)]
pub struct BannedWords {
    /// The words as given (trimmed, deduplicated), in list order.
    words: Vec<String>,
    /// Each word as characters, ASCII letters lower-cased, parallel to `words`.
    folded: Vec<Vec<char>>,
    /// First character (folded) → indexes into `words`, longest word first.
    by_first: HashMap<char, Vec<usize>>,
}

impl Default for BannedWords {
    /// The [`DEFAULT_BANNED_WORDS`] list.
    fn default() -> Self {
        BannedWords::new(DEFAULT_BANNED_WORDS).expect("default banned words are valid")
    }
}

fn fold(c: char) -> char {
    c.to_ascii_lowercase()
}

impl BannedWords {
    /// Build the list: each word is trimmed, empty ones are dropped, and repeats (ignoring ASCII letter case)
    /// keep their first spelling. At most [`BANNED_WORDS_MAX`] words of at most [`BANNED_WORD_MAX_CHARS`]
    /// characters each, without control characters.
    pub fn new<I, S>(words: I) -> Result<BannedWords, FieldError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = BannedWords { words: Vec::new(), folded: Vec::new(), by_first: HashMap::new() };
        let mut seen: HashSet<Vec<char>> = HashSet::new();
        for (i, w) in words.into_iter().enumerate() {
            let w = w.as_ref().trim();
            if w.is_empty() {
                continue;
            }
            let n = w.chars().count();
            if n > BANNED_WORD_MAX_CHARS {
                return Err(FieldError::new(
                    "words",
                    Reason::BannedWordTooLong {
                        index: count(i + 1),
                        word: w.to_string(),
                        max: count(BANNED_WORD_MAX_CHARS),
                    },
                ));
            }
            if w.chars().any(char::is_control) {
                return Err(FieldError::new("words", Reason::BannedWordControl { index: count(i + 1) }));
            }
            let folded: Vec<char> = w.chars().map(fold).collect();
            if !seen.insert(folded.clone()) {
                continue;
            }
            if out.words.len() == BANNED_WORDS_MAX {
                return Err(FieldError::new("words", Reason::BannedTooMany { max: count(BANNED_WORDS_MAX) }));
            }
            out.by_first.entry(folded[0]).or_default().push(out.words.len());
            out.words.push(w.to_string());
            out.folded.push(folded);
        }
        for list in out.by_first.values_mut() {
            // Longest first, so the first match at a position is the longest; list order breaks ties.
            list.sort_by(|a, b| out.folded[*b].len().cmp(&out.folded[*a].len()).then(a.cmp(b)));
        }
        Ok(out)
    }

    /// The words, trimmed and deduplicated, in the order given.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Every banned word in `text`, sorted by position. ASCII letters match regardless of case.
    ///
    /// At each position only the longest word that starts there is reported (`最佳`, not also `最`), and a
    /// match lying wholly inside an earlier reported match is not reported again (`全网最低` hides the `最`
    /// and `最低` inside it). Matches that only partly overlap are both reported.
    ///
    /// Cost is linear in the text length times the few words that share a starting character.
    pub fn scan(&self, field: &str, text: &str) -> Vec<BannedHit> {
        let mut hits = Vec::new();
        if self.words.is_empty() || text.is_empty() {
            return hits;
        }
        let chars: Vec<char> = text.chars().map(fold).collect();
        let mut covered_until = 0usize;
        for pos in 0..chars.len() {
            let Some(candidates) = self.by_first.get(&chars[pos]) else { continue };
            let rest = &chars[pos..];
            if let Some(&wi) = candidates.iter().find(|&&wi| rest.starts_with(&self.folded[wi])) {
                let end = pos + self.folded[wi].len();
                if end > covered_until {
                    covered_until = end;
                    hits.push(BannedHit { word: self.words[wi].clone(), field: field.to_string(), position: pos });
                }
            }
        }
        hits
    }

    /// Apply the shop's mode to `text`: with [`BannedMode::Block`] any hit is an error on `field` naming the
    /// words; with [`BannedMode::Warn`] the hits are returned for display.
    pub fn check(&self, mode: BannedMode, field: &str, text: &str) -> Result<Vec<BannedHit>, FieldError> {
        let hits = self.scan(field, text);
        if mode == BannedMode::Block && !hits.is_empty() {
            let mut words: Vec<&str> = Vec::new();
            for h in &hits {
                if !words.contains(&h.word.as_str()) {
                    words.push(&h.word);
                }
            }
            return Err(FieldError::new(field, Reason::BannedFound { words: words.join(", ") }));
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn positions(hits: &[BannedHit]) -> Vec<(usize, &str)> {
        hits.iter().map(|h| (h.position, h.word.as_str())).collect()
    }

    #[test]
    fn default_list_is_valid_and_has_the_required_words() {
        let bw = BannedWords::default();
        assert_eq!(bw.len(), DEFAULT_BANNED_WORDS.len(), "no duplicates in the default list");
        for w in [
            "最",
            "第一",
            "国家级",
            "顶级",
            "极品",
            "史上",
            "唯一",
            "绝对",
            "万能",
            "首个",
            "全网最低",
            "最佳",
            "最高级",
            "独一无二",
            "世界级",
        ] {
            assert!(bw.words().iter().any(|x| x == w), "{w}");
        }
    }

    #[test]
    fn modes() {
        assert_eq!(BannedMode::parse(" Block "), Some(BannedMode::Block));
        assert_eq!(BannedMode::parse("warn"), Some(BannedMode::Warn));
        assert_eq!(BannedMode::parse("stop"), None);
        assert_eq!(BannedMode::parse(""), None);
        for m in [BannedMode::Block, BannedMode::Warn] {
            assert_eq!(BannedMode::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn builds_trimmed_deduplicated() {
        let bw = BannedWords::new(["  最佳 ", "", "   ", "最佳", "No.1", "no.1", "顶级"]).unwrap();
        assert_eq!(bw.words(), ["最佳", "No.1", "顶级"]);
        let owned: Vec<String> = vec!["a".into(), "b".into()];
        assert_eq!(BannedWords::new(&owned).unwrap().len(), 2);
        assert!(BannedWords::new(Vec::<String>::new()).unwrap().is_empty());
    }

    #[test]
    fn limits() {
        let long = "字".repeat(21);
        let e = BannedWords::new(["ok", long.as_str()]).unwrap_err();
        assert_eq!(e.field, "words");
        assert_eq!(e.reason, Reason::BannedWordTooLong { index: 2, word: long.clone(), max: 20 });
        assert!(BannedWords::new(["字".repeat(20)]).is_ok());

        let many: Vec<String> = (0..500).map(|i| format!("w{i}")).collect();
        assert_eq!(BannedWords::new(&many).unwrap().len(), 500);
        let too_many: Vec<String> = (0..501).map(|i| format!("w{i}")).collect();
        assert_eq!(BannedWords::new(&too_many).unwrap_err().field, "words");
        // repeats do not count towards the limit
        let mut with_repeats = many.clone();
        with_repeats.extend(many.iter().map(|w| w.to_uppercase()));
        assert_eq!(BannedWords::new(&with_repeats).unwrap().len(), 500);

        assert!(BannedWords::new(["a\u{7}b"]).is_err());
    }

    #[test]
    fn longest_match_at_a_position() {
        let bw = BannedWords::default();
        let hits = bw.scan("title", "本店最佳橙子");
        assert_eq!(positions(&hits), [(2, "最佳")]);
        assert_eq!(hits[0].field, "title");
        assert_eq!(hits[0].char_len(), 2);
        let hits = bw.scan("title", "最高级的品质");
        assert_eq!(positions(&hits), [(0, "最高级")]);
    }

    #[test]
    fn contained_matches_are_not_repeated() {
        let bw = BannedWords::default();
        assert_eq!(positions(&bw.scan("t", "全网最低！")), [(0, "全网最低")]);
        assert_eq!(positions(&bw.scan("t", "独一无二")), [(0, "独一无二")]);
    }

    #[test]
    fn partial_overlaps_are_both_reported() {
        let bw = BannedWords::new(["史上", "上第一"]).unwrap();
        assert_eq!(positions(&bw.scan("t", "史上第一")), [(0, "史上"), (1, "上第一")]);
        let bw = BannedWords::default();
        assert_eq!(positions(&bw.scan("t", "全网最低价")), [(0, "全网最低"), (2, "最低价")]);
    }

    #[test]
    fn every_occurrence_sorted_by_char_position() {
        let bw = BannedWords::default();
        let text = "顶级极品，全国第一！abc 最 好";
        let hits = bw.scan("d", text);
        assert_eq!(positions(&hits), [(0, "顶级"), (2, "极品"), (5, "全国第一"), (14, "最")]);
        // positions are char indexes
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(chars[14], '最');
    }

    #[test]
    fn ascii_case_insensitive() {
        let bw = BannedWords::new(["No.1", "TOP"]).unwrap();
        let hits = bw.scan("t", "销量no.1, Top seller, NO.1");
        assert_eq!(positions(&hits), [(2, "No.1"), (8, "TOP"), (20, "No.1")]);
        // non-ASCII letters are compared exactly
        let bw = BannedWords::new(["Ä"]).unwrap();
        assert!(bw.scan("t", "ä").is_empty());
    }

    #[test]
    fn nothing_to_find() {
        let bw = BannedWords::default();
        assert!(bw.scan("t", "").is_empty());
        assert!(bw.scan("t", "新鲜橙子 5斤装").is_empty());
        assert!(BannedWords::new(Vec::<&str>::new()).unwrap().scan("t", "最佳").is_empty());
    }

    #[test]
    fn check_by_mode() {
        let bw = BannedWords::default();
        let e = bw.check(BannedMode::Block, "title", "最佳橙子 最佳").unwrap_err();
        assert_eq!(e.field, "title");
        assert_eq!(e.reason, Reason::BannedFound { words: "最佳".into() });
        assert_eq!(bw.check(BannedMode::Warn, "title", "最佳橙子").unwrap().len(), 1);
        assert!(bw.check(BannedMode::Block, "title", "橙子").unwrap().is_empty());
    }

    #[test]
    fn long_text_is_fast() {
        let bw = BannedWords::default();
        // 20k characters dense with near-misses of the 最… words
        let text = "最最佳最好的第一国家级".repeat(2_000);
        let start = std::time::Instant::now();
        for _ in 0..10 {
            let hits = bw.scan("description", &text);
            assert!(!hits.is_empty());
        }
        // generous even for an unoptimised build
        assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
    }

    /// Straightforward reference: the longest word at each position, then drop matches inside earlier ones.
    fn naive(words: &[&str], text: &str) -> Vec<(usize, String)> {
        let t: Vec<char> = text.chars().map(fold).collect();
        let mut out: Vec<(usize, String)> = Vec::new();
        let mut covered = 0;
        for pos in 0..t.len() {
            let mut best: Option<&str> = None;
            for w in words {
                let f: Vec<char> = w.chars().map(fold).collect();
                if !f.is_empty() && t[pos..].starts_with(&f) && best.is_none_or(|b: &str| b.chars().count() < f.len()) {
                    best = Some(w);
                }
            }
            if let Some(b) = best {
                let end = pos + b.chars().count();
                if end > covered {
                    covered = end;
                    out.push((pos, b.to_string()));
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn matches_reference(text in "[最佳好第一aAbB ]{0,40}") {
            let words = ["最", "最佳", "最佳好", "第一", "一最", "ab", "B", "佳好第"];
            let bw = BannedWords::new(words).unwrap();
            let got: Vec<(usize, String)> = bw.scan("t", &text).into_iter().map(|h| (h.position, h.word)).collect();
            prop_assert_eq!(got, naive(&words, &text));
        }
    }
}
