// A custom Lambda runtime in C++ for the function benchmark: the `bootstrap` of a provided
// function that answers every event with a fixed document. It does as little as a runtime can
// (one keep-alive connection, blocking I/O, no allocations per event beyond the body), so
// that a warm invoke through it measures Tarmac's own cost. BENCH_BOOTSTRAP_RESPONSE, when set,
// is the document it answers instead (bench/apigw/run: an API Gateway proxy response).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int g_fd = -1;
std::string g_host;
int g_port = 0;
std::string g_buffer; // bytes read past the current response

bool connectApi()
{
    if (g_fd >= 0)
        ::close(g_fd);
    g_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(g_port));
    ::inet_pton(AF_INET, g_host.c_str(), &addr.sin_addr);
    int one = 1;
    ::setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g_buffer.clear();
    return ::connect(g_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
}

bool writeAll(const std::string &data)
{
    size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(g_fd, data.data() + off, data.size() - off);
        if (n <= 0)
            return false;
        off += size_t(n);
    }
    return true;
}

bool fill()
{
    char chunk[65536];
    const ssize_t n = ::read(g_fd, chunk, sizeof chunk);
    if (n <= 0)
        return false;
    g_buffer.append(chunk, size_t(n));
    return true;
}

// Reads one response: its head (lower-cased names) and its Content-Length body.
bool readResponse(std::string &head, std::string &body)
{
    size_t end;
    while ((end = g_buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!fill())
            return false;
    }
    head = g_buffer.substr(0, end);
    for (char &c : head)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    g_buffer.erase(0, end + 4);
    size_t length = 0;
    const size_t at = head.find("content-length:");
    if (at != std::string::npos)
        length = size_t(std::strtoull(head.c_str() + at + 15, nullptr, 10));
    while (g_buffer.size() < length) {
        if (!fill())
            return false;
    }
    body = g_buffer.substr(0, length);
    g_buffer.erase(0, length);
    return true;
}

std::string headerValue(const std::string &lowerHead, const std::string &original, const char *name)
{
    const size_t at = lowerHead.find(name);
    if (at == std::string::npos)
        return {};
    size_t start = original.find(':', at) + 1;
    while (start < original.size() && original[start] == ' ')
        ++start;
    const size_t stop = original.find("\r\n", start);
    return original.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
}

} // namespace

int main()
{
    const char *api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api)
        return 2;
    const std::string address(api);
    const size_t colon = address.rfind(':');
    g_host = address.substr(0, colon);
    g_port = std::atoi(address.c_str() + colon + 1);
    if (!connectApi())
        return 3;
    const std::string next
        = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: " + address + "\r\n\r\n";
    const char *custom = std::getenv("BENCH_BOOTSTRAP_RESPONSE");
    const std::string reply = custom ? custom : R"({"ok":true,"runtime":"c++"})";
    std::string head, body, lower;
    for (;;) {
        if (!writeAll(next) || !readResponse(lower, body))
            return 4;
        // The head was lower-cased in place; the request id is lower-case hex anyway.
        const std::string id = headerValue(lower, lower, "lambda-runtime-aws-request-id:");
        const std::string post = "POST /2018-06-01/runtime/invocation/" + id
            + "/response HTTP/1.1\r\nHost: " + address
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + std::to_string(reply.size()) + "\r\n\r\n" + reply;
        if (!writeAll(post) || !readResponse(head, body))
            return 5;
    }
}
