// The least an HTTP server must do for a client's request, and nothing more: one thread,
// epoll, read the head, answer `100 Continue`, read the body, answer. It computes nothing and
// keeps nothing on disk. The benchmarks measure its CPU per operation next to Tarmac's, as the
// floor of HTTP and the loopback kernel work on this machine.
//
//   bench_floor PORT          answers every request 200 with an empty body (bench/s3/run:
//                             a 4 KiB PutObject; nginx answers before reading the body, so it
//                             costs less than any server that stores what it is sent)
//   bench_floor PORT sqs      answers the SQS JSON protocol's CreateQueue, GetQueueUrl,
//                             ListQueues, SendMessage, ReceiveMessage and DeleteMessage from
//                             a queue in memory (bench/sqs/run); no MD5s, no ids worth the name
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Connection
{
    int fd = -1;
    std::string in;
    long long bodyLeft = -1; // -1: reading a head
    std::string head; // kept only in sqs mode
    std::string body;
};

// Where `needle` (lower case) starts in `head`, ignoring case; npos when it does not.
size_t findCaseless(std::string_view head, std::string_view needle)
{
    auto lower = [](char c) { return char(c >= 'A' && c <= 'Z' ? c + 32 : c); };
    for (size_t i = 0; i + needle.size() <= head.size(); ++i) {
        size_t j = 0;
        while (j < needle.size() && lower(head[i + j]) == needle[j])
            ++j;
        if (j == needle.size())
            return i;
    }
    return std::string_view::npos;
}

long long contentLength(std::string_view head)
{
    static constexpr std::string_view kName = "\r\ncontent-length:";
    const size_t at = findCaseless(head, kName);
    return at == std::string_view::npos
        ? 0
        : std::atoll(std::string(head.substr(at + kName.size(), 24)).c_str());
}

bool g_sqs = false;
std::deque<std::string> g_queue; // message bodies, as the JSON strings they were sent as
long long g_count = 0;

// The JSON string value of `"name": "…"` in `body`, still escaped; empty when there is none.
std::string_view jsonString(std::string_view body, std::string_view name)
{
    const std::string key = "\"" + std::string(name) + "\"";
    size_t at = body.find(key);
    if (at == std::string_view::npos)
        return {};
    at += key.size();
    while (at < body.size() && (body[at] == ' ' || body[at] == ':'))
        ++at;
    if (at >= body.size() || body[at] != '"')
        return {};
    size_t end = ++at;
    while (end < body.size() && body[end] != '"')
        end += body[end] == '\\' ? 2 : 1;
    return body.substr(at, std::min(end, body.size()) - at);
}

// The answer to one SQS JSON request: its operation is the X-Amz-Target after "AmazonSQS.".
std::string sqsAnswer(std::string_view head, std::string_view body)
{
    static constexpr std::string_view kTarget = "\r\nx-amz-target: amazonsqs.";
    const size_t at = findCaseless(head, kTarget);
    const std::string_view rest
        = at == std::string_view::npos ? std::string_view() : head.substr(at + kTarget.size());
    const std::string_view op = rest.substr(0, rest.find('\r'));
    std::string json = "{}";
    if (op == "SendMessage") {
        g_queue.emplace_back(jsonString(body, "MessageBody"));
        json = "{\"MessageId\":\"" + std::to_string(++g_count) + "\"}";
    } else if (op == "ReceiveMessage") {
        if (!g_queue.empty()) {
            const std::string id = std::to_string(++g_count);
            json = "{\"Messages\":[{\"MessageId\":\"" + id + "\",\"ReceiptHandle\":\"" + id
                + "\",\"Body\":\"" + g_queue.front() + "\"}]}";
            g_queue.pop_front();
        }
    } else if (op == "CreateQueue" || op == "GetQueueUrl") {
        json = "{\"QueueUrl\":\"http://127.0.0.1/000000000000/"
            + std::string(jsonString(body, "QueueName")) + "\"}";
    } else if (op == "ListQueues") {
        json = "{\"QueueUrls\":[]}";
    }
    return "HTTP/1.1 200 OK\r\nserver: floor\r\ncontent-type: application/x-amz-json-1.0\r\n"
           "content-length: "
        + std::to_string(json.size()) + "\r\n\r\n" + json;
}

void sendAll(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0)
            return; // a bench client that goes away
        bytes.remove_prefix(size_t(n));
    }
}

// Returns false when the connection is done.
bool serve(Connection &c)
{
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(c.fd, buffer, sizeof buffer);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return false;
        if (n < 0)
            return true;
        c.in.append(buffer, size_t(n));
        for (;;) {
            if (c.bodyLeft < 0) {
                const size_t end = c.in.find("\r\n\r\n");
                if (end == std::string::npos)
                    break;
                const std::string_view head(c.in.data(), end + 2);
                c.bodyLeft = contentLength(head);
                if (findCaseless(head, "100-continue") != std::string_view::npos)
                    sendAll(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
                if (g_sqs) {
                    c.head.assign(head);
                    c.body.clear();
                }
                c.in.erase(0, end + 4);
            }
            if (c.bodyLeft > 0) {
                const long long take = std::min<long long>(c.bodyLeft, (long long)c.in.size());
                if (g_sqs)
                    c.body.append(c.in, 0, size_t(take));
                c.in.erase(0, size_t(take));
                c.bodyLeft -= take;
                if (c.bodyLeft > 0)
                    break;
            }
            c.bodyLeft = -1;
            if (g_sqs) {
                sendAll(c.fd, sqsAnswer(c.head, c.body));
                continue;
            }
            sendAll(c.fd,
                "HTTP/1.1 200 OK\r\nserver: floor\r\ncontent-length: 0\r\n"
                "etag: \"00000000000000000000000000000000\"\r\n\r\n");
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    g_sqs = argc == 3 && std::strcmp(argv[2], "sqs") == 0;
    if (argc != 2 && !g_sqs) {
        std::fprintf(stderr, "usage: bench_floor PORT [sqs]\n");
        return 2;
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(std::atoi(argv[1])));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0
        || ::listen(listener, 1024) != 0) {
        std::perror("bench_floor: listen");
        return 1;
    }
    const int poller = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;
    ::epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    std::printf("ready: listening on http://127.0.0.1:%s\n", argv[1]);
    std::fflush(stdout);
    for (;;) {
        epoll_event events[64];
        const int ready = ::epoll_wait(poller, events, 64, -1);
        for (int i = 0; i < ready; ++i) {
            auto *c = static_cast<Connection *>(events[i].data.ptr);
            if (!c) {
                const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    continue;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                c = new Connection;
                c->fd = fd;
                epoll_event add {};
                add.events = EPOLLIN;
                add.data.ptr = c;
                ::epoll_ctl(poller, EPOLL_CTL_ADD, fd, &add);
                continue;
            }
            if (!serve(*c)) {
                ::close(c->fd);
                delete c;
            }
        }
    }
}
