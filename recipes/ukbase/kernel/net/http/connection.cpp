// http::Connection, and the disposal of connections a server or client
// has let go.
#include <net/http/connection.hpp>

#include <vector>

#include <timers>

#include "dispose.hpp"

namespace http {

Connection::Connection(TCP_conn tcpconn, bool keep_alive)
    : tcpconn_(std::move(tcpconn)), keep_alive_(keep_alive),
      peer_(tcpconn_ ? tcpconn_->remote() : Peer{})
{
}

Connection::Connection() noexcept : tcpconn_(nullptr), keep_alive_(false), peer_() {}

Connection::~Connection()
{
  if (alive_)
    *alive_ = false;
}

void Connection::timeout()
{
  if (!tcpconn_)
    return;
  if (tcpconn_->is_closing())
    tcpconn_->abort();                // our FIN went out and nothing came back
  else
    tcpconn_->close();
}

void Connection::shutdown()
{
  if (tcpconn_ && !tcpconn_->is_closing() && !tcpconn_->is_closed())
    tcpconn_->close();
}

Connection::TCP_conn Connection::release()
{
  TCP_conn conn = std::move(tcpconn_);
  tcpconn_ = nullptr;
  if (conn)
    conn->reset_callbacks();
  return conn;
}

void Connection::end()
{
  if (released()) {
    close();
    return;
  }
  if (!keep_alive_)
    shutdown();
  ended();
}

namespace detail {

namespace {

std::vector<std::unique_ptr<Connection>>& graveyard()
{
  static auto* v = new std::vector<std::unique_ptr<Connection>>;
  return *v;
}

}  // namespace

void dispose(std::unique_ptr<Connection> conn)
{
  auto& g = graveyard();
  g.push_back(std::move(conn));
  if (g.size() == 1) {
    Timers::oneshot(std::chrono::nanoseconds(0), [](Timers::id_t) {
      // Destructors may dispose of more: take the list first.
      auto dead = std::move(graveyard());
      graveyard().clear();
    });
  }
}

}  // namespace detail
}  // namespace http
