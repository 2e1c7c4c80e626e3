//! A lean gRPC caller for the throughput runs: HTTP/2 straight from the h2
//! crate, one request's bytes framed once and reused, the answer decoded
//! with prost as tonic would.
//!
//! Why: the load generator shares the machine's two cores with the server,
//! so every microsecond it spends per call is taken from the server. With
//! tonic's client (a `Channel`, whose tower buffer puts a task hand-off
//! between each caller and its connection) it used about as much CPU per
//! call as the server did. It is still the real gRPC API on the wire:
//! `POST /arvak.v1.ArvakService/<Method>`, `content-type: application/grpc`,
//! length-prefixed protobuf, the status in the trailers. `--client tonic`
//! keeps the old caller; TLS and end-to-end runs always use it.

use std::error::Error;

use bytes::{BufMut, Bytes, BytesMut};
use h2::client::SendRequest;
use http::{Method, Request, Uri};
use prost::Message;
use tokio::net::TcpStream;

/// Flow-control windows large enough that a window update is rarely due.
const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 1 << 24;

/// The sending half of one HTTP/2 connection; each caller on it holds a
/// clone.
#[derive(Clone)]
pub struct LeanConnection {
    send: SendRequest<Bytes>,
    addr: String,
}

impl LeanConnection {
    pub async fn connect(addr: &str) -> Result<Self, Box<dyn Error>> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        tcp.set_nodelay(true)?;
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake(tcp)
            .await
            .map_err(|e| format!("HTTP/2 handshake with {addr} failed: {e}"))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("connection to the server ended: {e}");
            }
        });
        Ok(Self {
            send,
            addr: addr.to_owned(),
        })
    }

    /// The URI of one of the service's methods, e.g. `SubmitJob`.
    pub fn method_uri(&self, method: &str) -> Result<Uri, Box<dyn Error>> {
        Ok(format!("http://{}/arvak.v1.ArvakService/{method}", self.addr).parse()?)
    }

    /// One unary call: `body` is a framed request (`frame`); the answer is
    /// decoded as `R`. A gRPC error comes back as its code and message.
    pub async fn unary<R: Message + Default>(
        &mut self,
        uri: &Uri,
        body: Bytes,
    ) -> Result<R, String> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .map_err(|e| format!("building the request: {e}"))?;
        std::future::poll_fn(|cx| self.send.poll_ready(cx))
            .await
            .map_err(|e| format!("connection not ready: {e}"))?;
        let (response, mut stream) = self
            .send
            .send_request(request, false)
            .map_err(|e| format!("sending the request: {e}"))?;
        stream
            .send_data(body, true)
            .map_err(|e| format!("sending the request body: {e}"))?;
        let (head, mut body) = response
            .await
            .map_err(|e| format!("awaiting the response: {e}"))?
            .into_parts();
        if head.status != http::StatusCode::OK {
            return Err(format!("HTTP status {}", head.status));
        }
        // A "trailers-only" answer (an error) carries its status here.
        if head.headers.contains_key("grpc-status") {
            return Err(grpc_error(&head.headers));
        }
        let mut message = BytesMut::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| format!("reading the response: {e}"))?;
            let _ = body.flow_control().release_capacity(chunk.len());
            message.extend_from_slice(&chunk);
        }
        let trailers = body
            .trailers()
            .await
            .map_err(|e| format!("reading the trailers: {e}"))?
            .ok_or("the response had no trailers")?;
        if trailers
            .get("grpc-status")
            .is_none_or(|status| status != "0")
        {
            return Err(grpc_error(&trailers));
        }
        unframe(&message)
    }
}

/// A message in gRPC's framing: a zero byte (not compressed), its length
/// (4 bytes, big-endian), the encoded message.
pub fn frame(message: &impl Message) -> Bytes {
    let length = message.encoded_len();
    let mut buffer = BytesMut::with_capacity(5 + length);
    buffer.put_u8(0);
    buffer.put_u32(length as u32);
    message
        .encode(&mut buffer)
        .expect("the buffer was sized for the message");
    buffer.freeze()
}

/// The message in a gRPC frame, decoded.
pub fn unframe<R: Message + Default>(framed: &[u8]) -> Result<R, String> {
    let Some((&[compressed, a, b, c, d], message)) = framed.split_first_chunk::<5>() else {
        return Err(format!(
            "a response of {} bytes has no gRPC frame",
            framed.len()
        ));
    };
    let length = u32::from_be_bytes([a, b, c, d]) as usize;
    if compressed != 0 || message.len() != length {
        return Err(format!(
            "malformed gRPC frame: compressed flag {compressed}, length {length}, {} bytes",
            message.len()
        ));
    }
    R::decode(message).map_err(|e| format!("decoding the response: {e}"))
}

fn grpc_error(headers: &http::HeaderMap) -> String {
    let field = |name| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    };
    format!(
        "grpc-status {}: {}",
        field("grpc-status"),
        field("grpc-message")
    )
}
