// Builds with the C++ code that `make proto-cpp` generates and Debian's
// libprotobuf (make cpptest): encodes a ServerMessage with a snapshot and
// an input_ack, parses it back, and checks the columns. A C++ client
// starts from the same generated classes.
#include <cstdio>
#include <string>

#include "skirmish/v1/skirmish.pb.h"

int main() {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  skirmish::v1::ServerMessage out;
  skirmish::v1::Snapshot* s = out.mutable_snapshot();
  s->set_tick(12);
  s->set_base_tick(10);
  s->add_id(3);   // gap-coded: ids 3 and 5
  s->add_id(2);
  s->add_x(-40);  // sint32: zigzag on the wire
  s->add_x(7);
  s->add_removed(4);
  out.set_input_ack(99);

  std::string bytes;
  if (!out.SerializeToString(&bytes)) {
    std::fprintf(stderr, "serialize failed\n");
    return 1;
  }
  skirmish::v1::ServerMessage in;
  if (!in.ParseFromString(bytes) || in.msg_case() != skirmish::v1::ServerMessage::kSnapshot) {
    std::fprintf(stderr, "parse failed\n");
    return 1;
  }
  const skirmish::v1::Snapshot& got = in.snapshot();
  if (got.tick() != 12 || got.base_tick() != 10 || got.id_size() != 2 || got.id(1) != 2 ||
      got.x(0) != -40 || got.removed(0) != 4 || in.input_ack() != 99) {
    std::fprintf(stderr, "round trip changed the message\n");
    return 1;
  }
  std::printf("C++: ServerMessage round trip of %zu bytes ok\n", bytes.size());
  google::protobuf::ShutdownProtobufLibrary();
  return 0;
}
