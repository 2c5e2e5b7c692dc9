//! A browserless visitor of the web UI: plain HTTP with one cookie jar (the session
//! cookie), no redirects followed, and the CSRF token read off the last page, as a
//! browser's forms would send it.

use std::collections::BTreeMap;

/// One answer: status, headers (lowercase names) and body.
pub struct Page {
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.header("location")
            .unwrap_or_else(|| panic!("no redirect ({}): {}", self.status, self.body))
    }

    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no form with a CSRF token on the page: {}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// A visitor with its own cookies.
pub struct Visitor {
    base: String,
    agent: ureq::Agent,
    cookie: Option<String>,
}

impl Visitor {
    pub fn new(base: &str) -> Visitor {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // A refused post is answered before its body is read, and the server
            // then closes that connection: each request gets a fresh one.
            .max_idle_connections(0)
            .build()
            .into();
        Visitor {
            base: base.to_string(),
            agent,
            cookie: None,
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        self.read(request.call())
    }

    /// Post a form (fields URL-encoded) with extra headers.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.read(request.send(body))
    }

    fn read(&mut self, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
        let mut response = response.unwrap();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in response.headers() {
            headers
                .entry(name.as_str().to_lowercase())
                .or_default()
                .push(value.to_str().unwrap_or_default().to_string());
        }
        for set in headers.get("set-cookie").into_iter().flatten() {
            let pair = set.split(';').next().unwrap_or_default();
            self.cookie = (!pair.ends_with('=')).then(|| pair.to_string());
        }
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Page {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }
}
