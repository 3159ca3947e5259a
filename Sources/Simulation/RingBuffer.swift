// SPDX-License-Identifier: GPL-3.0-or-later

/// A FIFO on a flat power-of-two array that grows by doubling and never shrinks, so a steady-state queue
/// allocates nothing (swift-collections' `Deque` would do, but the kernel depends on nothing but GSL).
/// The package's one FIFO queue: the kernel's resources and the workload generators use it.
public struct RingBuffer<Element> {
  @usableFromInline var storage: [Element?]
  @usableFromInline var head = 0
  @usableFromInline var used = 0

  /// The number of queued elements.
  @inlinable public var count: Int { used }

  @inlinable
  public init(capacity: Int) {
    var size = 1
    while size < capacity { size <<= 1 }
    storage = Array(repeating: nil, count: size)
  }

  @inlinable public var isEmpty: Bool { count == 0 }
  @inlinable var mask: Int { storage.count &- 1 }

  @inlinable
  public mutating func append(_ element: Element) {
    if count == storage.count { grow() }
    storage[(head &+ count) & mask] = element
    used &+= 1
  }

  @inlinable
  public mutating func popFirst() -> Element? {
    guard count > 0 else { return nil }
    let element = storage[head]
    storage[head] = nil
    head = (head &+ 1) & mask
    used &-= 1
    return element
  }

  @inlinable
  public subscript(offset: Int) -> Element {
    precondition(offset >= 0 && offset < count)
    return storage[(head &+ offset) & mask]!
  }

  /// Removes the element `offset` places from the front, closing the gap (O(count)).
  @inlinable
  @discardableResult
  public mutating func remove(at offset: Int) -> Element {
    let element = self[offset]
    var i = offset
    while i < count &- 1 {
      storage[(head &+ i) & mask] = storage[(head &+ i &+ 1) & mask]
      i &+= 1
    }
    storage[(head &+ count &- 1) & mask] = nil
    used &-= 1
    return element
  }

  @usableFromInline
  mutating func grow() {
    var bigger = [Element?](repeating: nil, count: Swift.max(1, storage.count * 2))
    for i in 0..<count {
      bigger[i] = storage[(head + i) & mask]
    }
    storage = bigger
    head = 0
  }
}

extension RingBuffer: Sendable where Element: Sendable {}
