// Load generator for the function benchmark: Invoke calls (unsigned: Tarmac does not check
// signatures) over keep-alive connections, one per concurrent caller, with each call's round
// trip timed. Prints one JSON line: count, errors, p50/p90/p99/max in ms, invokes/s.
//
//   invokeload HOST:PORT FUNCTION --count N --concurrency C [--payload JSON] [--cold]
//              [--rate R] [--seconds S]
//
// --cold changes the function's configuration before each invoke (sequentially), so that
// every invoke starts a new instance: the round trip is then spawn to first response.
// --rate paces the invokes at R per second in total, evenly across the callers (invoke i is
// due at start + i/R; a caller that falls behind goes on without sleeping); without it every
// caller invokes as fast as it can. --seconds stops issuing invokes after S seconds, whatever
// --count says (with --rate and no --count: R x S invokes).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection
{
    int fd = -1;
    std::string buffer;
    std::string host;
    int port = 0;

    bool open()
    {
        if (fd >= 0)
            ::close(fd);
        buffer.clear();
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr {};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(uint16_t(port));
        ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    }

    // Sends a request and reads the response; returns the status, or -1.
    int call(const std::string &method, const std::string &path, const std::string &body,
        std::string *out = nullptr)
    {
        std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + host
            + "\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        size_t off = 0;
        while (off < request.size()) {
            const ssize_t n = ::write(fd, request.data() + off, request.size() - off);
            if (n <= 0)
                return -1;
            off += size_t(n);
        }
        size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!fill())
                return -1;
        }
        std::string head = buffer.substr(0, end);
        buffer.erase(0, end + 4);
        for (char &c : head)
            c = char(std::tolower(static_cast<unsigned char>(c)));
        const int status = std::atoi(head.c_str() + 9);
        size_t length = 0;
        const size_t at = head.find("content-length:");
        if (at != std::string::npos)
            length = size_t(std::strtoull(head.c_str() + at + 15, nullptr, 10));
        while (buffer.size() < length) {
            if (!fill())
                return -1;
        }
        if (out)
            *out = buffer.substr(0, length);
        buffer.erase(0, length);
        if (head.find("x-amz-function-error") != std::string::npos)
            return 599; // a function error counts as an error here
        return status;
    }

    bool fill()
    {
        char chunk[65536];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return false;
        buffer.append(chunk, size_t(n));
        return true;
    }
};

double percentile(std::vector<double> &v, double p)
{
    if (v.empty())
        return 0;
    const size_t i = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())));
    std::nth_element(v.begin(), v.begin() + long(i), v.end());
    return v[i];
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr,
            "usage: invokeload HOST:PORT FUNCTION --count N --concurrency C [--payload JSON] "
            "[--cold]\n");
        return 2;
    }
    const std::string address = argv[1];
    const std::string function = argv[2];
    int count = 1000, concurrency = 1;
    bool cold = false, countSet = false;
    double rate = 0, maxSeconds = 0;
    std::string payload = "{}";
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--count" && i + 1 < argc) {
            count = std::atoi(argv[++i]);
            countSet = true;
        } else if (a == "--rate" && i + 1 < argc)
            rate = std::max(0.0, std::atof(argv[++i]));
        else if (a == "--seconds" && i + 1 < argc)
            maxSeconds = std::max(0.0, std::atof(argv[++i]));
        else if (a == "--concurrency" && i + 1 < argc)
            concurrency = std::max(1, std::atoi(argv[++i]));
        else if (a == "--payload" && i + 1 < argc)
            payload = argv[++i];
        else if (a == "--cold")
            cold = true;
    }
    if (!countSet && rate > 0 && maxSeconds > 0)
        count = int(rate * maxSeconds + 0.5);
    const size_t colon = address.rfind(':');
    const std::string host = address.substr(0, colon);
    const int port = std::atoi(address.c_str() + colon + 1);
    const std::string path = "/2015-03-31/functions/" + function + "/invocations";

    std::vector<std::vector<double>> samples(static_cast<size_t>(concurrency));
    std::atomic<int> next {0}, errors {0};
    const auto started = Clock::now();
    const auto stopAt = started
        + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(maxSeconds));
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
        threads.emplace_back([&, t] {
            Connection c;
            c.host = host;
            c.port = port;
            if (!c.open()) {
                errors += count;
                return;
            }
            Connection admin = c;
            admin.fd = -1;
            if (cold)
                admin.open();
            while (true) {
                const int i = next++;
                if (i >= count)
                    break;
                if (rate > 0) {
                    const auto due = started
                        + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(double(i) / rate));
                    std::this_thread::sleep_until(due);
                }
                if (maxSeconds > 0 && Clock::now() >= stopAt)
                    break;
                if (cold) {
                    const std::string config
                        = R"({"Environment":{"Variables":{"BENCH_GENERATION":")" + std::to_string(i)
                        + "\"}}}";
                    if (admin.call(
                            "PUT", "/2015-03-31/functions/" + function + "/configuration", config)
                        != 200) {
                        ++errors;
                        continue;
                    }
                }
                const auto t0 = Clock::now();
                const int status = c.call("POST", path, payload);
                const auto t1 = Clock::now();
                if (status != 200) {
                    ++errors;
                    if (status < 0 && !c.open())
                        break;
                    continue;
                }
                samples[size_t(t)].push_back(
                    std::chrono::duration<double, std::milli>(t1 - t0).count());
            }
        });
    }
    for (auto &th : threads)
        th.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::vector<double> all;
    for (auto &s : samples)
        all.insert(all.end(), s.begin(), s.end());
    const size_t ok = all.size();
    std::vector<double> copy = all;
    std::printf("{\"count\":%zu,\"errors\":%d,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
                "\"rps\":%.1f}\n",
        ok, errors.load(), percentile(copy, 50), percentile(copy, 90), percentile(copy, 99),
        all.empty() ? 0.0 : *std::max_element(all.begin(), all.end()),
        cold ? 0.0 : double(ok) / seconds);
    return errors.load() > 0 ? 1 : 0;
}
