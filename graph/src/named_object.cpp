#include "heapdiff/named_object.h"

namespace heapdiff {

NamedObject named_object(const ObjectNames& names, ObjectIndex object) {
    if (object == kNoObject) return {};
    return {object, names.name(object)};
}

}  // namespace heapdiff
