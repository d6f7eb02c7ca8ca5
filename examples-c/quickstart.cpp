// quickstart.cpp — the C quick start from C++17: handles owned by
// std::unique_ptr, failures thrown as exceptions.
//
//   c++ -std=c++17 quickstart.cpp $(pkg-config --cflags --libs zizq)
//   ZIZQ_URL=http://127.0.0.1:7890 ./a.out
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "zizq.h"

namespace {

template <auto Free> struct Deleter {
    template <typename T> void operator()(T *p) const { Free(p); }
};
using Client = std::unique_ptr<zizq_client, Deleter<zizq_client_free>>;
using Stream = std::unique_ptr<zizq_take_stream, Deleter<zizq_take_free>>;
using Batch = std::unique_ptr<zizq_batch, Deleter<zizq_batch_free>>;

// Throws the error of a failed call, with the server's message.
void check(zizq_status status, zizq_error *err, const char *what) {
    if (status == ZIZQ_OK) return;
    std::string message = std::string(what) + ": " + zizq_status_name(status) + ": " +
                          (err ? zizq_error_message(err) : "");
    zizq_error_free(err);
    throw std::runtime_error(message);
}

const uint8_t *bytes(std::string_view s) { return reinterpret_cast<const uint8_t *>(s.data()); }

// A library buffer as a std::string (the buffer is released).
std::string take_string(zizq_buf &buf) {
    std::string s(reinterpret_cast<const char *>(buf.data), buf.len);
    zizq_buf_free(&buf);
    return s;
}

}  // namespace

int main() try {
    const char *env = std::getenv("ZIZQ_URL");
    std::string url = env ? env : "http://127.0.0.1:7890";
    zizq_error *err = nullptr;

    std::string_view options = R"({"format":"json"})";
    zizq_client *raw = nullptr;
    check(zizq_client_new(url.c_str(), bytes(options), options.size(), &raw, &err), err,
          "zizq_client_new");
    Client client(raw);
    std::cout << zizq_version() << " (header " << ZIZQ_VERSION << "), server " << url << "\n";

    std::string_view job = R"({"type":"send_email","queue":"emails","payload":{"to":"ada@example.com"}})";
    zizq_buf out{};
    check(zizq_enqueue(client.get(), bytes(job), job.size(), &out, &err), err, "zizq_enqueue");
    std::cout << "enqueued: " << take_string(out) << "\n";

    std::string_view take = R"({"queues":["emails"],"prefetch":1})";
    zizq_take_stream *raw_stream = nullptr;
    check(zizq_take_open(client.get(), bytes(take), take.size(), &raw_stream, &err), err,
          "zizq_take_open");
    Stream stream(raw_stream);
    zizq_batch *raw_batch = nullptr;
    check(zizq_take_next(stream.get(), 1, 5000, &raw_batch, &err), err, "zizq_take_next");
    if (!raw_batch) throw std::runtime_error("no job arrived within 5 s");
    Batch batch(raw_batch);
    const zizq_job *taken = zizq_batch_get(batch.get(), 0);
    std::cout << "took: " << taken->type << " " << taken->id << "\n";
    check(zizq_report_success(client.get(), taken->id, &err), err, "zizq_report_success");

    std::string_view filter = R"({"queue":"emails"})";
    int64_t left = -1;
    check(zizq_count_jobs(client.get(), bytes(filter), filter.size(), &left, &err), err,
          "zizq_count_jobs");
    std::cout << "count: " << left << " job(s) left on \"emails\"\n";
    zizq_client_close(client.get());
    return 0;
} catch (const std::exception &e) {
    std::cerr << e.what() << "\n";
    return 1;
}
