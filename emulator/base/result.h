#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace tarmac {

// One error vocabulary for every service: a machine-readable code (the AWS code where
// there is one, e.g. "NoSuchKey"), a human message, and the HTTP status the wire API
// should use. Only API layers turn an Error into a wire error.
struct Error
{
    QString code;
    QString message;
    int httpStatus = 400;

    friend bool operator==(const Error &, const Error &) = default;
};

// An expected-like result. No exceptions cross a slot or the event loop: code that can
// fail returns Result<T> instead.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value)
        : m_v(std::in_place_index<0>, std::move(value))
    { }
    Result(Error error)
        : m_v(std::in_place_index<1>, std::move(error))
    { }

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_v); }
    const T &value() const & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
        , m_ok(false)
    { }

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const { return m_error; }

private:
    Error m_error;
    bool m_ok = true;
};

inline Error makeError(QString code, QString message, int httpStatus = 400)
{
    return Error {std::move(code), std::move(message), httpStatus};
}

} // namespace tarmac
