// Sanitizer fixture (LSan): a lost list head (direct leak) that owns more nodes (indirect leaks).
struct Node {
    Node* next;
    long payload[2];
};

Node* volatile g_head = nullptr;

__attribute__((noinline)) Node* make_node(Node* next) { return new Node{next, {1, 2}}; }

__attribute__((noinline)) void build_and_lose_list() {
    for (int i = 0; i < 3; ++i) g_head = make_node(g_head);
    g_head = nullptr;
}

// Overwrites the dead stack below main so that no stale copy keeps a node reachable.
__attribute__((noinline)) void scrub_stack() {
    volatile char scratch[4096];
    for (auto& c : scratch) c = 0;
}

int main() {
    build_and_lose_list();
    scrub_stack();
    return 0;
}
