use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead};

pub const DEFAULT_CAPACITY: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub name: String,
    pub retries: u32,
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Low,
    Medium,
    High,
}

#[derive(Debug)]
pub enum ParseError {
    MissingKey(String),
    BadNumber(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::MissingKey(key) => write!(f, "missing key `{key}`"),
            ParseError::BadNumber(value) => write!(f, "not a number: {value}"),
        }
    }
}

pub trait Store {
    fn get(&self, key: &str) -> Option<&str>;

    fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl Config {
    pub fn new(name: impl Into<String>) -> Self {
        Config { name: name.into(), retries: 3, verbose: false }
    }

    pub fn from_pairs(pairs: &HashMap<String, String>) -> Result<Self, ParseError> {
        let name = pairs.get("name").ok_or_else(|| ParseError::MissingKey("name".into()))?;
        let retries = match pairs.get("retries") {
            Some(value) => value.parse().map_err(|_| ParseError::BadNumber(value.clone()))?,
            None => 3,
        };
        Ok(Config { name: name.clone(), retries, verbose: pairs.contains_key("verbose") })
    }

    pub fn level(&self) -> Level {
        match self.retries {
            0 => Level::Low,
            1..=5 => Level::Medium,
            _ => Level::High,
        }
    }
}

pub fn read_pairs<R: BufRead>(reader: R) -> io::Result<HashMap<String, String>> {
    let mut pairs = HashMap::with_capacity(DEFAULT_CAPACITY);
    for line in reader.lines() {
        let line = line?;
        if let Some((key, value)) = line.split_once('=') {
            pairs.insert(key.trim().to_string(), value.trim().to_string());
        }
    }
    Ok(pairs)
}

pub fn nth_word(text: &str, n: usize) -> &str {
    let words: Vec<&str> = text.split_whitespace().collect();
    words[n]
}

pub unsafe fn first_byte_unchecked(bytes: &[u8]) -> u8 {
    *bytes.get_unchecked(0)
}

pub fn average(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "average of no values");
    values.iter().sum::<f64>() / values.len() as f64
}
