/** Public API of @skiff/infra: disposable local PostgreSQL topologies for tests and benchmarks. */
export { describeTopology, type ServerDescription, type TopologyDescription } from './describe.js'
export {
  findPgBin,
  type PgServer,
  type StopMode,
  startTopology,
  TOPOLOGY_DATABASE,
  type Topology,
  type TopologyOptions,
  type TopologyUser,
  type TopologyUsers,
} from './topology.js'
