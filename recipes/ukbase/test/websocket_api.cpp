// ukbase test service: IncludeOS's WebSocket API (net/ws/connector.hpp,
// net/ws/websocket.hpp) on eth0 under QEMU user networking, driven by a
// host client that speaks WebSocket to port 8000.
//
// Every WebSocket the server takes echoes what it gets (same opcode),
// except for these text commands:
//
//   "flood N"        the server writes N binary messages of 1024 bytes,
//                    each starting with its number (uint32, big-endian)
//   "maxsize N"      set_max_message_size(N) on this WebSocket
//   "close N"        the server closes with status N
//   "client PORT"    the guest's client side: WebSocket::connect to
//                    ws://10.0.2.2:PORT/echo, write a text, expect it back
//   "shutdown"       power off
//   "panic"          os::panic(), which prints SET_CRASH's note
//
// An Origin of "http://refused.example" is refused by on_accept. Serial
// lines say what happened ("[ws] ..."), for the host to check.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <http>
#include <kernel/crash_context.hpp>
#include <net/interfaces>
#include <net/ws/connector.hpp>
#include <os>
#include <service>
#include <smp>
#include <timers>

using namespace std::chrono_literals;

namespace {

struct Server_state {
  std::unique_ptr<http::Server> server;
  std::unique_ptr<net::WS_server_connector> connector;
  std::map<int, net::WebSocket_ptr> sockets;   // by number
  int next_id = 1;
};
SMP::Array<Server_state> state;

std::unique_ptr<http::Basic_client> client;
net::WebSocket_ptr client_ws;
const std::string CLIENT_TEXT = "guest client says h\xc3\xa9llo";

// The WebSocket `id` ends: it is destroyed from inside its own on_close.
void forget(int id) { PER_CPU(state).sockets.erase(id); }

void run_client(uint16_t port)
{
  const std::string url = "ws://10.0.2.2:" + std::to_string(port) + "/echo";
  std::printf("[ws] client connecting to %s\n", url.c_str());
  net::WebSocket::connect(*client, url, [](net::WebSocket_ptr ws) {
    if (!ws) {
      std::printf("[ws] FAIL client: no WebSocket\n");
      return;
    }
    std::printf("[ws] client connected: %s (client side %d)\n", ws->to_string().c_str(), ws->is_client());
    ws->on_error = [](std::string why) { std::printf("[ws] client on_error %s\n", why.c_str()); };
    ws->on_read = [](net::WebSocket::Message_ptr msg) {
      std::string text = msg->as_text();
      std::printf("[ws] client got %s %zu bytes: %s\n", net::WebSocket::to_string(msg->opcode()),
                  msg->size(), text.c_str());
      if (msg->opcode() == net::op_code::TEXT && text == CLIENT_TEXT)
        std::printf("[ws] PASS client echo\n");
      else
        std::printf("[ws] FAIL client echo\n");
      client_ws->close(1000);
    };
    ws->on_close = [](uint16_t code) { std::printf("[ws] client on_close %u\n", code); };
    ws->write(CLIENT_TEXT);
    client_ws = std::move(ws);
  });
}

void on_message(int id, net::WebSocket& ws, net::WebSocket::Message_ptr msg)
{
  if (msg->opcode() == net::op_code::TEXT && msg->size() < 64) {
    const std::string text = msg->as_text();
    unsigned n = 0;
    if (std::sscanf(text.c_str(), "flood %u", &n) == 1) {
      for (uint32_t i = 0; i < n; i++) {
        auto buf = net::tcp::construct_buffer(1024);
        for (size_t j = 0; j < buf->size(); j++)
          (*buf)[j] = static_cast<uint8_t>(j * 7 + i);
        (*buf)[0] = static_cast<uint8_t>(i >> 24);
        (*buf)[1] = static_cast<uint8_t>(i >> 16);
        (*buf)[2] = static_cast<uint8_t>(i >> 8);
        (*buf)[3] = static_cast<uint8_t>(i);
        ws.write(buf, net::op_code::BINARY);
      }
      std::printf("[ws] %d wrote %u binary messages\n", id, n);
      return;
    }
    if (std::sscanf(text.c_str(), "maxsize %u", &n) == 1) {
      ws.set_max_message_size(n);
      std::printf("[ws] %d max message size %u\n", id, n);
      ws.write("ok");
      return;
    }
    if (std::sscanf(text.c_str(), "close %u", &n) == 1) {
      std::printf("[ws] %d closing with %u\n", id, n);
      ws.close(static_cast<uint16_t>(n));
      return;
    }
    if (std::sscanf(text.c_str(), "client %u", &n) == 1) {
      run_client(static_cast<uint16_t>(n));
      ws.write("started");
      return;
    }
    if (text == "panic") {
      // A service's own panic handler does not replace SET_CRASH's note.
      os::on_panic([](const char* why) { std::printf("[ws] on_panic: %s\n", why); });
      os::panic("panic requested over a WebSocket");
    }
    if (text == "shutdown") {
      std::printf("[ws] shutdown\n");
      Timers::oneshot(100ms, [](Timers::id_t) { os::shutdown(); });
      return;
    }
  }
  std::printf("[ws] %d echo %s of %zu bytes\n", id, net::WebSocket::to_string(msg->opcode()), msg->size());
  ws.write(msg->data(), msg->size(), msg->opcode());
}

void on_connect(net::WebSocket_ptr ws)
{
  if (!ws) {
    std::printf("[ws] no WebSocket\n");
    return;
  }
  auto& st = PER_CPU(state);
  const int id = st.next_id++;
  SET_CRASH("WebSocket %d: %s", id, ws->to_string().c_str());
  std::printf("[ws] %d connected: %s alive %d\n", id, ws->to_string().c_str(), ws->is_alive());
  net::WebSocket* w = ws.get();
  ws->on_read = [id, w](net::WebSocket::Message_ptr msg) { on_message(id, *w, std::move(msg)); };
  ws->on_error = [id](std::string why) { std::printf("[ws] %d on_error %s\n", id, why.c_str()); };
  ws->on_close = [id, w](uint16_t code) {
    std::printf("[ws] %d on_close %u (%s) alive %d\n", id, code, net::WebSocket::status_code(code),
                w->is_alive());
    forget(id);
  };
  st.sockets[id] = std::move(ws);
}

bool on_accept(net::Socket peer, const std::string& origin)
{
  const bool ok = origin != "http://refused.example";
  std::printf("[ws] on_accept %s origin \"%s\": %s\n", peer.to_string().c_str(), origin.c_str(),
              ok ? "yes" : "no");
  return ok;
}

}  // namespace

void Service::start()
{
  auto& eth0 = net::Interfaces::get(0);
  eth0.network_config({10, 0, 2, 15}, {255, 255, 255, 0}, {10, 0, 2, 2}, {10, 0, 2, 3});
  auto& st = PER_CPU(state);
  st.server = std::make_unique<http::Server>(eth0.tcp());
  st.connector = std::make_unique<net::WS_server_connector>(on_connect, on_accept);
  st.server->on_request(*st.connector);
  st.server->listen(8000);
  client = std::make_unique<http::Basic_client>(eth0.tcp());
  std::printf("[ws] ready\n");
}
