#include "heapdiff/error.h"

namespace heapdiff {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Usage: return "usage";
        case ErrorKind::BadSnapshot: return "bad_snapshot";
        case ErrorKind::NotFound: return "not_found";
        case ErrorKind::Failed: break;
    }
    return "error";
}

int error_exit_code(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Usage: return 2;
        case ErrorKind::BadSnapshot: return 3;
        case ErrorKind::NotFound: return 4;
        case ErrorKind::Failed: break;
    }
    return 1;
}

}  // namespace heapdiff
