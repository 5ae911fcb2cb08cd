// Field names, as IncludeOS's net/http/header_fields.hpp:
// http::header::Content_Type == "Content-Type". Field names compare
// without regard to case (Header does that).
#pragma once

namespace http::header {

using Field = const char*;

// Request fields
inline constexpr Field Accept = "Accept";
inline constexpr Field Accept_Charset = "Accept-Charset";
inline constexpr Field Accept_Encoding = "Accept-Encoding";
inline constexpr Field Accept_Language = "Accept-Language";
inline constexpr Field Authorization = "Authorization";
inline constexpr Field Cookie = "Cookie";
inline constexpr Field Connection = "Connection";
inline constexpr Field Expect = "Expect";
inline constexpr Field From = "From";
inline constexpr Field Host = "Host";
inline constexpr Field HTTP2_Settings = "HTTP2-Settings";
inline constexpr Field If_Match = "If-Match";
inline constexpr Field If_Modified_Since = "If-Modified-Since";
inline constexpr Field If_None_Match = "If-None-Match";
inline constexpr Field If_Range = "If-Range";
inline constexpr Field If_Unmodified_Since = "If-Unmodified-Since";
inline constexpr Field Max_Forwards = "Max-Forwards";
inline constexpr Field Origin = "Origin";
inline constexpr Field Proxy_Authorization = "Proxy-Authorization";
inline constexpr Field Range = "Range";
inline constexpr Field Referer = "Referer";
inline constexpr Field TE = "TE";
inline constexpr Field Upgrade = "Upgrade";
inline constexpr Field User_Agent = "User-Agent";

// Response fields
inline constexpr Field Accept_Ranges = "Accept-Ranges";
inline constexpr Field Age = "Age";
inline constexpr Field Date = "Date";
inline constexpr Field ETag = "ETag";
inline constexpr Field Location = "Location";
inline constexpr Field Proxy_Authenticate = "Proxy-Authenticate";
inline constexpr Field Retry_After = "Retry-After";
inline constexpr Field Server = "Server";
inline constexpr Field Set_Cookie = "Set-Cookie";
inline constexpr Field Vary = "Vary";
inline constexpr Field WWW_Authenticate = "WWW-Authenticate";

// Entity fields
inline constexpr Field Allow = "Allow";
inline constexpr Field Content_Encoding = "Content-Encoding";
inline constexpr Field Content_Language = "Content-Language";
inline constexpr Field Content_Length = "Content-Length";
inline constexpr Field Content_Location = "Content-Location";
inline constexpr Field Content_MD5 = "Content-MD5";
inline constexpr Field Content_Range = "Content-Range";
inline constexpr Field Content_Type = "Content-Type";
inline constexpr Field Expires = "Expires";
inline constexpr Field Last_Modified = "Last-Modified";

// Message framing (RFC 9112 6.1); not among IncludeOS's names.
inline constexpr Field Transfer_Encoding = "Transfer-Encoding";

}  // namespace http::header
