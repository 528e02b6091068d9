//! BM25 retrieval of demonstrations, as the paper's `BM25Okapi` over NLTK-tokenized questions.

use std::collections::HashMap;

const K1: f64 = 1.5;
const B: f64 = 0.75;
const EPSILON: f64 = 0.25;

/// An Okapi BM25 index over a fixed corpus (`rank_bm25.BM25Okapi` defaults: k1 = 1.5,
/// b = 0.75, idf = ln(N - n + 0.5) - ln(n + 0.5), negative idfs replaced by 0.25 × mean idf).
#[derive(Debug)]
pub(crate) struct Bm25 {
    vocabulary: HashMap<String, usize>,
    /// Per term: (document, term frequency).
    postings: Vec<Vec<(usize, u32)>>,
    idf: Vec<f64>,
    doc_len: Vec<f64>,
    avg_len: f64,
}

impl Bm25 {
    /// Indexes `documents`, tokenized with [`tokenize`].
    pub fn new<'a>(documents: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocabulary = HashMap::new();
        let mut postings: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut doc_len = Vec::new();
        for (doc, text) in documents.into_iter().enumerate() {
            let tokens = tokenize(text);
            doc_len.push(tokens.len() as f64);
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in tokens {
                *tf.entry(t).or_default() += 1;
            }
            for (term, n) in tf {
                let next = vocabulary.len();
                let id = *vocabulary.entry(term).or_insert(next);
                if id == postings.len() {
                    postings.push(Vec::new());
                }
                postings[id].push((doc, n));
            }
        }
        let n_docs = doc_len.len() as f64;
        let mut idf: Vec<f64> = postings
            .iter()
            .map(|p| (n_docs - p.len() as f64 + 0.5).ln() - (p.len() as f64 + 0.5).ln())
            .collect();
        let mean_idf = idf.iter().sum::<f64>() / idf.len().max(1) as f64;
        for v in idf.iter_mut().filter(|v| **v < 0.0) {
            *v = EPSILON * mean_idf;
        }
        let avg_len = doc_len.iter().sum::<f64>() / n_docs.max(1.0);
        Self {
            vocabulary,
            postings,
            idf,
            doc_len,
            avg_len,
        }
    }

    /// The `k` best-scoring documents for `query` other than `exclude`, best first (ties: the
    /// lowest index).
    pub fn top(&self, query: &str, exclude: Option<usize>, k: usize) -> Vec<usize> {
        let mut scores = vec![0.0f64; self.doc_len.len()];
        for term in tokenize(query) {
            let Some(&id) = self.vocabulary.get(&term) else {
                continue;
            };
            for &(doc, tf) in &self.postings[id] {
                let tf = f64::from(tf);
                let norm = K1 * (1.0 - B + B * self.doc_len[doc] / self.avg_len);
                scores[doc] += self.idf[id] * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<usize> = (0..scores.len())
            .filter(|doc| Some(*doc) != exclude)
            .collect();
        // Stable: equal scores keep the lower index first.
        ranked.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
        ranked.truncate(k);
        ranked
    }
}

/// Splits text into words and punctuation, close to NLTK's `word_tokenize` on questions:
/// runs of letters/digits (with inner `.` or `,` between digits) are words, clitics such as
/// `'s` and `n't` are split off, every other non-space character is its own token.
/// Case is kept, as in the paper.
pub(crate) fn tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (matches!(chars[i], '.' | ',')
                        && chars[i - 1].is_ascii_digit()
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // "don't" -> "do", "n't"
            if word.len() > 1
                && word.ends_with('n')
                && chars.get(i) == Some(&'\'')
                && chars.get(i + 1) == Some(&'t')
            {
                tokens.push(word[..word.len() - 1].to_string());
                tokens.push("n't".to_string());
                i += 2;
            } else {
                tokens.push(word);
            }
        } else if c == '\''
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
            && i > 0
            && chars[i - 1].is_alphanumeric()
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_like_nltk_on_questions() {
        assert_eq!(
            tokenize("What's the singer's name? Don't list 3.5, ok"),
            [
                "What", "'s", "the", "singer", "'s", "name", "?", "Do", "n't", "list", "3.5", ",",
                "ok"
            ]
        );
    }

    #[test]
    fn retrieves_the_closest_question() {
        let docs = [
            "How many singers do we have?",
            "List the names of all stadiums.",
            "How many concerts are there?",
        ];
        let index = Bm25::new(docs);
        assert_eq!(index.top("How many singers?", None, 1), [0]);
        assert_eq!(index.top("How many singers do we have?", Some(0), 1), [2]);
        assert_eq!(index.top("names of stadiums", None, 1), [1]);
        assert_eq!(
            index.top("How many singers do we have?", Some(0), 9).len(),
            2
        );
    }
}
