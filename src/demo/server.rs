//! A minimal HTTP/1.1 server bound to loopback, one thread per connection. It serves the
//! demo account and the tests' fake providers; it is not a general web server.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// One request, fully read.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query.
    pub path: String,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The media type of the body, without parameters, in lower case.
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The body as a form, if it is `application/x-www-form-urlencoded`.
    pub fn form(&self) -> Option<Vec<(String, String)>> {
        (self.content_type().as_deref() == Some("application/x-www-form-urlencoded")).then(|| {
            url::form_urlencoded::parse(&self.body)
                .into_owned()
                .collect()
        })
    }

    /// The body as a JSON object, if it is `application/json`.
    pub fn json(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        if self.content_type().as_deref() != Some("application/json") {
            return None;
        }
        match serde_json::from_slice(&self.body).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    }
}

/// What to send back.
#[derive(Debug, Clone)]
pub enum Response {
    /// A normal response.
    Full {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Announce `declared` bytes of body, send `body`, then close: a truncated answer.
    Truncated {
        /// Status code.
        status: u16,
        /// The bytes actually sent.
        body: Vec<u8>,
        /// The Content-Length announced.
        declared: usize,
    },
    /// Say nothing for this long, then close: a hung server.
    Hang(Duration),
    /// Wait this long, then send the response: a server that acted and answers slowly.
    Delayed(Duration, Box<Response>),
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::Full {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json;charset=UTF-8".into(),
            )],
            body: value.to_string().into_bytes(),
        }
    }

    /// An HTML response.
    pub fn html(status: u16, body: &str) -> Self {
        Self::Full {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds a header to a full response.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Full { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

/// A running server; stops accepting when dropped.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Serves `handler` on `127.0.0.1` at a free port.
    pub fn start(
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let stopping = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("loopback-http".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve(stream, handler.as_ref()));
                }
            })?;
        Ok(Self { addr, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        TcpStream::connect(self.addr).ok();
    }
}

fn serve(stream: TcpStream, handler: &(dyn Fn(&Request) -> Response + Send + Sync)) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let mut stream = stream;
    write_response(&mut stream, handler(&request));
    stream.flush().ok();
    stream.shutdown(std::net::Shutdown::Both).ok();
}

fn write_response(stream: &mut TcpStream, response: Response) {
    match response {
        Response::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(status),
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&name);
                head.push_str(": ");
                head.push_str(&value);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body))
                .ok();
        }
        Response::Truncated {
            status,
            body,
            declared,
        } => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n",
                reason(status)
            );
            stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body))
                .ok();
        }
        Response::Hang(duration) => std::thread::sleep(duration),
        Response::Delayed(duration, response) => {
            std::thread::sleep(duration);
            write_response(stream, *response);
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return None;
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_owned(),
        query: url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
