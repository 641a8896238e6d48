// UdpListener and UdpSendBatch when the kernel will not take a reply.
//
// On loopback UDP a sender's buffer never fills (the skb leaves it at once),
// so these tests use an AF_UNIX datagram socket instead: there a reply waits
// in the receiver's queue, and a sender whose peer's queue is full gets
// EAGAIN — the state a busy NIC puts a UDP socket in. Two differences from
// UDP: poll() calls such a socket writable even then, so while it waits the
// listener retries at once instead of sleeping (these tests check what is
// sent and in which order, not that the wait is idle); and EAGAIN concerns
// one peer, not the whole socket.
#include "net/udp_listener.h"

#include <doctest/doctest.h>
#include <sys/un.h>

#include <thread>

#include "net/net_test_support.h"
#include "net/udp_send_batch.h"
#include "net/worker.h"

namespace enumd::net {

using namespace testing;

namespace {

constexpr socklen_t kAbstractLength = sizeof(sockaddr_in);  // 16

// Two datagram sockets on abstract names of 13 characters, "S<tag>" (the
// server's) and "C<tag>" (the client's), both blocking like the server's
// UDP sockets.
struct UnixPair {
  explicit UnixPair(const char* tag) {
    char name[16];
    std::snprintf(name, sizeof(name), "%s%08x", tag, static_cast<unsigned>(getpid()) & 0xffffffffu);
    REQUIRE(std::strlen(name) == 12);
    server = Bind('S', name, &server_address);
    client = Bind('C', name, &client_address);
  }
  const sockaddr* server_peer() const { return reinterpret_cast<const sockaddr*>(&server_address); }
  const sockaddr* client_peer() const { return reinterpret_cast<const sockaddr*>(&client_address); }

  UniqueFd server, client;
  sockaddr_un server_address{}, client_address{};

 private:
  static UniqueFd Bind(char side, const char* name, sockaddr_un* address) {
    static_assert(offsetof(sockaddr_un, sun_path) + 14 == kAbstractLength);
    address->sun_family = AF_UNIX;
    address->sun_path[1] = side;
    std::memcpy(address->sun_path + 2, name, 12);
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM, 0));
    REQUIRE(fd.valid());
    REQUIRE(bind(fd.get(), reinterpret_cast<const sockaddr*>(address), kAbstractLength) == 0);
    return fd;
  }
};

// "q<i>", built by appending (GCC 12 warns falsely on "q" + std::string).
std::string QueryText(int i) {
  std::string text = "q";
  text += std::to_string(i);
  return text;
}

// A thread sending "q0".."q<count-1>" from the pair's client to its server;
// it stops at the first send that fails.
std::thread SendQueries(const UnixPair& pair, int count) {
  return std::thread([&pair, count] {
    for (int i = 0; i < count; ++i) {
      std::string query = QueryText(i);
      ssize_t sent = sendto(pair.client.get(), query.data(), query.size(), 0, pair.server_peer(),
                            kAbstractLength);
      if (sent != static_cast<ssize_t>(query.size())) return;
    }
  });
}

// A running Worker with a FakeHandler serving the pair's server socket.
struct UnixWorker {
  UnixWorker(UnixPair* pair, uint32_t send_wait_ms)
      : worker(std::make_unique<FakeHandler>(0, &handled), Options(send_wait_ms), nullptr) {
    REQUIRE(worker.Init().ok());
    worker.AddUdp(std::move(pair->server), std::make_unique<FakeHandler>(0, &handled));
    worker.Start();
  }
  ~UnixWorker() {
    worker.RequestStop();
    worker.Join();
  }
  static ServerOptions Options(uint32_t send_wait_ms) {
    ServerOptions options;
    options.udp_send_wait_ms = send_wait_ms;
    return options;
  }

  std::atomic<int> handled{0};
  Worker worker;
};

}  // namespace

TEST_CASE("UdpSendBatch: keeps what the kernel refuses with EAGAIN and sends it later, in order") {
  UnixPair pair("batc");

  // Fill the client's queue so that the batch cannot send anything yet.
  int filled = 0;
  while (sendto(pair.server.get(), "x", 1, MSG_DONTWAIT, pair.client_peer(), kAbstractLength) ==
         1) {
    ++filled;
    REQUIRE(filled < 100000);
  }
  REQUIRE(errno == EAGAIN);

  UdpSendBatch batch(pair.server.get());
  for (size_t i = 0; i < UdpSendBatch::kSlots; ++i) {
    uint8_t* slot = batch.NextSlot();
    slot[0] = static_cast<uint8_t>('a' + i);
    batch.Commit(pair.client_peer(), kAbstractLength, 1);
  }
  CHECK(batch.full());
  CHECK_FALSE(batch.Flush());
  CHECK_FALSE(batch.empty());

  // Drain the filler; the batch then goes out whole and in order.
  char byte = 0;
  for (int i = 0; i < filled; ++i) REQUIRE(recv(pair.client.get(), &byte, 1, 0) == 1);
  size_t received = 0;
  for (int attempt = 0; attempt < 1000 && received < UdpSendBatch::kSlots; ++attempt) {
    bool done = batch.Flush();
    while (WaitReadable(pair.client.get(), done ? 1000 : 0) && received < UdpSendBatch::kSlots) {
      REQUIRE(recv(pair.client.get(), &byte, 1, 0) == 1);
      CHECK(byte == static_cast<char>('a' + received));
      ++received;
    }
  }
  CHECK(received == UdpSendBatch::kSlots);
  CHECK(batch.empty());
  CHECK(batch.dropped() == 0);
}

TEST_CASE("UdpListener: a client that reads slowly still gets every answer (no reply dropped)") {
  UnixPair pair("lste");

  UnixWorker server(&pair, 60000);  // a send wait far longer than the client's delay
  std::atomic<int>& handled = server.handled;

  // Far more queries than the client's receive queue holds: the listener must
  // stop reading while its replies wait, not drop them.
  constexpr int kQueries = 500;
  std::thread sender = SendQueries(pair, kQueries);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int before_reading = handled.load();
  CHECK(before_reading < kQueries);  // it stopped reading: backpressure

  int answered = 0;
  Bytes buffer(65536);
  while (answered < kQueries && WaitReadable(pair.client.get(), 2000)) {
    ssize_t n = recv(pair.client.get(), buffer.data(), buffer.size(), 0);
    REQUIRE(n > 0);
    std::string expected = QueryText(answered) + 'U';
    REQUIRE(static_cast<size_t>(n) == expected.size() + 1);
    CHECK(std::string(buffer.begin(), buffer.begin() + n - 1) == expected);
    ++answered;
  }
  sender.join();
  CHECK(answered == kQueries);
  CHECK(handled.load() == kQueries);
  CHECK(server.worker.UdpRepliesDropped() == 0);
}

TEST_CASE("UdpListener: a client that never reads holds the others up for the send wait only") {
  UnixPair pair("stal");
  UnixPair other("othr");  // only its client is used: a second client of pair.server

  UnixWorker server(&pair, 20);
  std::atomic<int>& handled = server.handled;

  // The client sends many queries and never reads an answer. Without a bound
  // on the wait the listener would stop after the first batch that does not
  // fit in the client's queue and never read (nor answer) anything again.
  constexpr int kQueries = 300;
  timeval send_timeout{3, 0};  // a stuck listener fails the test instead of hanging it
  for (int fd : {pair.client.get(), other.client.get()})
    REQUIRE(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout)) == 0);
  std::thread sender = SendQueries(pair, kQueries);
  sender.join();  // every query was taken: the listener kept reading
  for (int i = 0; i < 500 && handled.load() < kQueries; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(handled.load() == kQueries);

  // The other client is answered once the replies it would queue behind
  // have been dropped.
  REQUIRE(sendto(other.client.get(), "b", 1, 0, pair.server_peer(), kAbstractLength) == 1);
  Bytes buffer(64);
  REQUIRE(WaitReadable(other.client.get(), 5000));
  CHECK(recv(other.client.get(), buffer.data(), buffer.size(), 0) == 3);
  CHECK(std::string(buffer.begin(), buffer.begin() + 2) == "bU");

  // "b" went out after every earlier reply was sent or dropped: each of the
  // client's queries is now either in its queue or counted as dropped.
  uint64_t queued = 0;
  while (recv(pair.client.get(), buffer.data(), buffer.size(), MSG_DONTWAIT) > 0) ++queued;
  CHECK(queued > 0);
  CHECK(queued < static_cast<uint64_t>(kQueries));
  CHECK(server.worker.UdpRepliesDropped() + queued == static_cast<uint64_t>(kQueries));
}

TEST_CASE("UdpListener: empty datagrams get no answer and do not stop the listener") {
  UnixPair pair("empt");
  UnixWorker server(&pair, ServerOptions().udp_send_wait_ms);
  std::atomic<int>& handled = server.handled;
  const auto* to = pair.server_peer();
  REQUIRE(sendto(pair.client.get(), "", 0, 0, to, kAbstractLength) == 0);
  REQUIRE(sendto(pair.client.get(), "ok", 2, 0, to, kAbstractLength) == 2);
  Bytes buffer(64);
  REQUIRE(WaitReadable(pair.client.get(), 2000));
  CHECK(recv(pair.client.get(), buffer.data(), buffer.size(), 0) == 4);
  CHECK(std::string(buffer.begin(), buffer.begin() + 3) == "okU");
  CHECK(handled.load() == 1);
  CHECK_FALSE(WaitReadable(pair.client.get(), 100));
}

}  // namespace enumd::net
