package node

// Transceivers returns how many transceivers n's peer connection to remote holds (0 without one): the test of
// media's bounded transceivers reads it.
func Transceivers(n *Node, remote string) int {
	if p := n.pool.lookup(remote); p != nil {
		return p.pc.Transceivers()
	}
	return 0
}
