// Sanitizer fixture (ASan): a read of a heap object after it was deleted.
struct Node {
    int value;
    int weight;
};

__attribute__((noinline)) Node* allocate_node() { return new Node{1, 2}; }
__attribute__((noinline)) void release_node(Node* n) { delete n; }
__attribute__((noinline)) int read_weight(const Node* n) { return n->weight; }

int main() {
    Node* n = allocate_node();
    release_node(n);
    return read_weight(n) == 2 ? 0 : 1;
}
