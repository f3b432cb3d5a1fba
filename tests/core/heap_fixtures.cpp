#include "heap_fixtures.h"

#include "snapshot_builder.h"

namespace heapdiff::test {

Snapshot error_log_heap() {
    SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0xf000);
    TypeId dict = b.type("builtins.dict", 0xf100);
    TypeId list = b.type("builtins.list", 0xf200);
    TypeId str = b.type("builtins.str", 0xf300);
    TypeId traceback = b.type("builtins.traceback", 0xf400);
    TypeId frame = b.type("builtins.frame", 0xf500);
    TypeId db = b.type("app.models.DB", 0xf600, format::type_flag::kHeapType);
    TypeId bytes = b.type("builtins.bytes", 0xf700);
    TypeId node = b.type("app.graph.Node", 0xf800, format::type_flag::kHeapType);
    const StringId dict_field = b.string("__dict__"), tb_frame = b.string("tb_frame"), db_local = b.string("db"),
                   payload = b.string("payload"), next = b.string("next"), data = b.string("data");

    b.object(0x100, module, 72, 2, 0, {}, "errorlog");
    b.edge(0x200, EdgeKind::Field, dict_field.value);
    b.object(0x200, dict, 232, 1);
    b.edge(0x210, EdgeKind::DictKey);
    b.edge(0x300, EdgeKind::DictValue, 0);
    b.object(0x210, str, 59, 1, 0, {}, "_temp_logs");
    b.object(0x300, list, 64, 1);
    b.edge(0x400, EdgeKind::Index, 0);
    b.object(0x400, dict, 232, 1);
    b.edge(0x410, EdgeKind::DictKey);
    b.edge(0x500, EdgeKind::DictValue, 0);
    b.object(0x410, str, 51, 1, 0, {}, "tb");
    b.object(0x500, traceback, 64, 1);
    b.edge(0x600, EdgeKind::Field, tb_frame.value);
    b.object(0x600, frame, 400, 1, 0, {}, "handle_request app.py:42");
    b.edge(0x700, EdgeKind::FrameLocal, db_local.value);
    b.object(0x700, db, 48, 2);
    b.edge(0x800, EdgeKind::Attribute, payload.value);
    b.object(0x800, bytes, 1000, 1);
    b.object(0x900, module, 72, 1, 0, {}, "app");
    b.edge(0x980, EdgeKind::Field, dict_field.value);
    b.object(0x980, dict, 232, 1);
    b.edge(0x990, EdgeKind::DictKey);
    b.edge(0x700, EdgeKind::DictValue, 0);
    b.object(0x990, str, 53, 1, 0, {}, "conn");
    b.object(0xb00, node, 48, 1, format::object_flag::kGcTracked);
    b.edge(0xb80, EdgeKind::Attribute, next.value);
    b.edge(0xc00, EdgeKind::Attribute, data.value);
    b.object(0xb80, node, 48, 1, format::object_flag::kGcTracked);
    b.edge(0xb00, EdgeKind::Attribute, next.value);
    b.object(0xc00, bytes, 500, 1);
    b.snapshot().module_roots.push_back({0x100, b.string("errorlog")});
    b.snapshot().module_roots.push_back({0x900, b.string("app")});
    return b.take();
}

}  // namespace heapdiff::test
