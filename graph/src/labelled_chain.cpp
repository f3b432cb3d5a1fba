#include "heapdiff/labelled_chain.h"

#include <algorithm>

namespace heapdiff {

static_assert(kChainHeadObjects < kMaxChainReferences, "a cut chain keeps objects on both sides of its gap");

std::string left_out_label(std::size_t objects) {
    std::string digits = std::to_string(objects), grouped;
    for (std::size_t k = 0; k < digits.size(); ++k) {
        if (k && (digits.size() - k) % 3 == 0) grouped += ',';
        grouped += digits[k];
    }
    return "\xE2\x80\xA6 " + grouped + " object" + (objects == 1 ? "" : "s") + " left out \xE2\x80\xA6";
}

LabelledChain shortened_chain(LabelledChain c, std::size_t max_objects) {
    max_objects = std::max<std::size_t>(max_objects, 2);
    const std::size_t n = c.objects.size();
    if (n <= max_objects) return c;
    // The new gap has to contain the old one: head <= gap + 1 and tail <= n - (gap + 1).
    const std::size_t before_gap = c.left_out ? c.gap + 1 : n;
    std::size_t head = std::min({kChainHeadObjects, std::max<std::size_t>(max_objects / 4, 1), before_gap});
    std::size_t tail = max_objects - head;
    if (c.left_out && tail > n - before_gap) {
        tail = n - before_gap;
        head = max_objects - tail;
    }
    LabelledChain out;
    out.objects.assign(c.objects.begin(), c.objects.begin() + static_cast<std::ptrdiff_t>(head));
    out.edges.assign(c.edges.begin(), c.edges.begin() + static_cast<std::ptrdiff_t>(head));
    out.objects.insert(out.objects.end(), c.objects.end() - static_cast<std::ptrdiff_t>(tail), c.objects.end());
    out.edges.insert(out.edges.end(), c.edges.end() - static_cast<std::ptrdiff_t>(tail), c.edges.end());
    out.left_out = c.left_out + (n - head - tail);
    out.gap = head - 1;
    return out;
}

LabelledChain labelled_chain(const HeapGraph& graph, const std::vector<ObjectIndex>& objects) {
    // Only the objects shown are labelled: a million-long chain costs no million labels.
    const std::size_t keep = kMaxChainReferences + 1;
    LabelledChain out;
    const std::size_t n = objects.size();
    std::vector<std::size_t> shown;  // positions in `objects`
    if (n <= keep) {
        for (std::size_t k = 0; k < n; ++k) shown.push_back(k);
    } else {
        const std::size_t head = kChainHeadObjects;
        for (std::size_t k = 0; k < head; ++k) shown.push_back(k);
        for (std::size_t k = n - (keep - head); k < n; ++k) shown.push_back(k);
        out.left_out = n - keep;
        out.gap = head - 1;
    }
    out.objects.reserve(shown.size());
    out.edges.reserve(shown.size());
    for (std::size_t k : shown) {
        out.objects.push_back(objects[k]);
        out.edges.push_back(k ? graph.label_between(objects[k - 1], objects[k]) : std::string());
    }
    return out;
}

}  // namespace heapdiff
