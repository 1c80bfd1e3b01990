// The vocabulary of the Raft core, in the style of etcd's raftpb. Everything here is plain data:
// it crosses the wire (transport), the disk (WAL) and the simulator unchanged.

export type NodeId = string;

/** No node: used for "no vote" and "no known leader". */
export const NONE: NodeId = '';

export type EntryType = 'normal' | 'conf';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque application data; for 'conf' entries, an encoded ConfChange (see confchange.ts). */
  data: Uint8Array;
}

export type ConfChangeType = 'addNode' | 'removeNode';

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft: the application puts e.g. the node's address here. */
  context?: string;
}

/** The voters of the cluster at some point of the log. */
export interface ConfState {
  voters: NodeId[];
}

/** What must be durable before any message reflecting it is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine at metadata.index. */
  data: Uint8Array;
}

export type MessageType =
  // local only: never on the wire
  | 'hup' // start an election
  | 'beat' // leader: send heartbeats
  | 'checkQuorum' // leader: step down if not heard from a quorum
  | 'unreachable' // transport: a peer could not be reached
  | 'snapStatus' // transport: a snapshot was (or was not) delivered
  // proposals and reads, local or forwarded by followers
  | 'prop'
  | 'readIndex'
  | 'readIndexResp'
  // replication
  | 'app'
  | 'appResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snap'
  // elections
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  // leadership transfer
  | 'transferLeader'
  | 'timeoutNow';

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** app: term of the entry at `index`; vote: term of the candidate's last entry; appResp reject: term hint. */
  logTerm: number;
  /** app: index preceding `entries`; appResp: the matched (or rejected) index; vote: candidate's last index. */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** appResp reject: the follower's suggestion of where to probe next (fast backtracking). */
  rejectHint: number;
  /** readIndex/heartbeat: request context; vote: 'transfer' for a campaign from a leadership transfer. */
  context: string;
}

export type StateType = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, surfaced to the application when it changes. */
export interface SoftState {
  lead: NodeId;
  state: StateType;
}

/** A linearizable read that may be served once the application has applied `index`. */
export interface ReadState {
  index: number;
  requestCtx: string;
}

/**
 * What the application must do, in this order: persist hardState, entries and snapshot (fsync);
 * send messages; apply the snapshot, then committedEntries; then call advance(ready).
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  /** New entries to append to stable storage (may overwrite a conflicting suffix). */
  entries: Entry[];
  /** A snapshot received from the leader, to persist and restore. */
  snapshot?: Snapshot;
  /** Entries known committed, to apply to the state machine in order. */
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
}

export function emptyHardState(): HardState {
  return { term: 0, vote: NONE, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

/** Builds a message with defaults for the fields a message type does not use. */
export function message(m: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    from: NONE,
    to: NONE,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: '',
    ...m,
  };
}
