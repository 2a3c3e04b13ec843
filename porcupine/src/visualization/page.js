'use strict'

// Layout, in pixels.
const LANE_HEIGHT = 38
const TEXT_Y = 13 // the text in a bar's upper half...
const POINT_Y = 28 // ...and the linearization points in its lower half
const LANE_GAP = 12
const TOP = 12
const TEXT_PAD = 8
const MIN_GAP = 14 // between neighbouring instants
const LP_STEP = 12 // between linearization points, and from a point to a bar's end
const MAX_LABEL = 48 // characters of a description shown in its bar; the rest on hover

const SVG_NS = 'http://www.w3.org/2000/svg'

function svg(tag, attributes, parent) {
  const element = document.createElementNS(SVG_NS, tag)
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value))
  }
  if (parent) {
    parent.append(element)
  }
  return element
}

const measureContext = document.createElement('canvas').getContext('2d')
function textWidth(text) {
  measureContext.font = '12px system-ui, -apple-system, "Segoe UI", sans-serif'
  return measureContext.measureText(text).width
}

function shorten(text) {
  return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + '…' : text
}

const tooltip = document.querySelector('#tooltip')
function showTooltip(event, text) {
  tooltip.textContent = text
  tooltip.hidden = false
  moveTooltip(event)
}
function moveTooltip(event) {
  const left = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8)
  tooltip.style.left = Math.max(0, left) + 'px'
  tooltip.style.top = event.clientY + 14 + 'px'
}
function hideTooltip() {
  tooltip.hidden = true
}
function hover(element, text) {
  element.addEventListener('mouseenter', (event) => showTooltip(event, text()))
  element.addEventListener('mousemove', moveTooltip)
  element.addEventListener('mouseleave', hideTooltip)
}

// What the search found in one partition, per linearization: where each operation sits
// in it, and which operations could have come next but cannot.
function analyse(partition) {
  const operations = partition.operations
  const lins = partition.linearizations
  const positions = operations.map(() => []) // op -> [[lin, position]]
  const blocked = operations.map(() => []) // op -> [lin]
  const blockedOf = lins.map(() => [])
  for (const [li, lin] of lins.entries()) {
    const included = new Set()
    for (const [position, step] of lin.entries()) {
      included.add(step.op)
      positions[step.op].push([li, position])
    }
    // The next operation must be called before every remaining one returns.
    let firstEnd = Infinity
    for (const [op, operation] of operations.entries()) {
      if (!included.has(op)) {
        firstEnd = Math.min(firstEnd, operation.end)
      }
    }
    for (const [op, operation] of operations.entries()) {
      if (!included.has(op) && operation.start < firstEnd) {
        blocked[op].push(li)
        blockedOf[li].push(op)
      }
    }
  }
  return {positions, blocked, blockedOf}
}

// Lanes: clients in number order, then annotation lanes by name.
function laneKeys(operations, annotations) {
  const clients = new Set(operations.map((operation) => operation.client))
  const named = new Set()
  for (const annotation of annotations) {
    if (annotation.client === null) {
      named.add(annotation.lane)
    } else {
      clients.add(annotation.client)
    }
  }
  const keys = [...clients].sort((a, b) => a - b).map((client) => ({key: 'c' + client, label: 'client ' + client}))
  for (const name of [...named].sort()) {
    keys.push({key: 'n' + name, label: name})
  }
  return keys
}

// Places every instant on the x axis, left to right: each at least MIN_GAP after the
// previous one, late enough that the bars ending there fit their text, and the
// linearization points in those bars, each LP_STEP after the one before it.
function layout(items, partition, analysis) {
  const lins = partition.linearizations
  const operations = partition.operations
  const instants = [...new Set(items.flatMap((item) => [item.start, item.end]))].sort((a, b) => a - b)
  const byEnd = [...items].sort((a, b) => a.end - b.end)
  const x = new Map()
  const points = lins.map(() => [])
  const blockedX = lins.map(() => new Map())

  function place(li, upTo, fallback) {
    const lin = lins[li]
    const placed = points[li]
    while (placed.length <= upTo) {
      const m = placed.length
      const start = x.get(operations[lin[m].op].start) ?? fallback
      const previous = m > 0 ? placed[m - 1] : -Infinity
      placed.push(Math.max(start + LP_STEP, previous + LP_STEP))
    }
  }

  let next = 0
  for (const [i, instant] of instants.entries()) {
    let position = i === 0 ? 0 : x.get(instants[i - 1]) + MIN_GAP
    while (next < byEnd.length && byEnd[next].end <= instant) {
      const item = byEnd[next++]
      const start = x.get(item.start) ?? position
      position = Math.max(position, start + item.width)
      if (item.op !== undefined) {
        for (const [li, at] of analysis.positions[item.op]) {
          place(li, at, position)
          position = Math.max(position, points[li][at] + LP_STEP)
        }
        for (const li of analysis.blocked[item.op]) {
          place(li, lins[li].length - 1, position)
          const last = lins[li].length > 0 ? points[li].at(-1) : -Infinity
          const point = Math.max(start + LP_STEP, last + LP_STEP)
          blockedX[li].set(item.op, point)
          position = Math.max(position, point + LP_STEP)
        }
      }
    }
    x.set(instant, position)
  }
  return {x, points, blockedX, width: instants.length > 0 ? x.get(instants.at(-1)) : 0}
}

// eslint-disable-next-line no-unused-vars
function render(data) {
  const verdict = document.querySelector('#verdict')
  verdict.textContent = 'Linearizability check: ' + data.result
  verdict.className = data.result

  const partitionSelect = document.querySelector('#partition')
  const linearizationSelect = document.querySelector('#linearization')
  for (const [i, partition] of data.partitions.entries()) {
    const option = document.createElement('option')
    option.value = String(i)
    option.textContent = `#${i}: ${partition.result}, ${partition.operations.length} operations`
    partitionSelect.append(option)
  }
  const firstWith = (result) => data.partitions.findIndex((partition) => partition.result === result)
  let chosen = firstWith('Illegal')
  if (chosen < 0) {
    chosen = firstWith('Unknown')
  }
  partitionSelect.value = String(Math.max(chosen, 0))

  const view = {partition: Math.max(chosen, 0), linearization: 0}

  function fillLinearizations() {
    linearizationSelect.replaceChildren()
    const partition = data.partitions[view.partition]
    const lins = partition ? partition.linearizations : []
    for (const [i, lin] of lins.entries()) {
      const option = document.createElement('option')
      option.value = String(i)
      option.textContent = `${i === 0 ? 'longest: ' : ''}${lin.length} of ${partition.operations.length} operations`
      linearizationSelect.append(option)
    }
    linearizationSelect.disabled = lins.length === 0
    linearizationSelect.value = String(view.linearization)
  }

  partitionSelect.addEventListener('change', () => {
    view.partition = Number(partitionSelect.value)
    view.linearization = 0
    fillLinearizations()
    draw(data, view, choose)
  })
  linearizationSelect.addEventListener('change', () => {
    view.linearization = Number(linearizationSelect.value)
    draw(data, view, choose)
  })
  document.querySelector('#jump').addEventListener('click', () => {
    // The legend shows the same mark; the timeline's first one is meant.
    const first = document.querySelector('#timeline .illegal-point')
    if (first) {
      first.scrollIntoView({block: 'center', inline: 'center'})
    }
  })

  function choose(linearization) {
    view.linearization = linearization
    linearizationSelect.value = String(linearization)
    draw(data, view, choose)
  }

  fillLinearizations()
  draw(data, view, choose)
}

function draw(data, view, choose) {
  const canvas = document.querySelector('#canvas')
  canvas.replaceChildren()
  hideTooltip()
  const partition = data.partitions[view.partition] ?? {result: 'Ok', operations: [], linearizations: []}
  const operations = partition.operations
  const lins = partition.linearizations
  const shown = lins[view.linearization] ?? []
  const analysis = analyse(partition)
  // With no linearization at all, the operations that could have been first are the culprits.
  const firstEnd = Math.min(...operations.map((operation) => operation.end))
  const couldBeFirst = [...operations.keys()].filter((op) => operations[op].start < firstEnd)
  const blockedShown = new Set(lins.length > 0 ? analysis.blockedOf[view.linearization] : partition.result === 'Illegal' ? couldBeFirst : [])
  const stepOf = new Map(shown.map((step, position) => [step.op, position]))

  const summary = document.querySelector('#summary')
  let text = `Partition #${view.partition} of ${data.partitions.length}: ${partition.result}. `
  text += `${operations.length} operations; the linearization shown places ${shown.length} of them.`
  if (partition.result === 'Illegal') {
    text += ' In red: the operations that could come next but whose outputs no order explains.'
  } else if (partition.result === 'Unknown') {
    text += ' The check stopped before a verdict: this is how far it got.'
  }
  summary.textContent = text
  document.querySelector('#jump').disabled = blockedShown.size === 0 || partition.result === 'Ok'

  const lanes = laneKeys(operations, data.annotations)
  const laneOf = new Map(lanes.map((lane, i) => [lane.key, i]))
  const laneY = (key) => TOP + laneOf.get(key) * (LANE_HEIGHT + LANE_GAP)
  const labelWidth = Math.max(60, ...lanes.map((lane) => textWidth(lane.label))) + 2 * TEXT_PAD

  const items = []
  for (const [op, operation] of operations.entries()) {
    const label = shorten(operation.description)
    items.push({op, start: operation.start, end: operation.end, lane: 'c' + operation.client, label, width: textWidth(label) + 2 * TEXT_PAD})
  }
  for (const annotation of data.annotations) {
    const label = shorten(annotation.description)
    const lane = annotation.client === null ? 'n' + annotation.lane : 'c' + annotation.client
    items.push({annotation, start: annotation.start, end: annotation.end, lane, label, width: textWidth(label) + 2 * TEXT_PAD})
  }
  const placed = layout(items, partition, analysis)
  const X = (instant) => labelWidth + placed.x.get(instant)

  const width = labelWidth + placed.width + 40
  const height = TOP * 2 + lanes.length * (LANE_HEIGHT + LANE_GAP)
  const root = svg('svg', {id: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`}, canvas)

  for (const lane of lanes) {
    const y = laneY(lane.key)
    svg('line', {class: 'lane-line', x1: labelWidth, x2: width, y1: y + LANE_HEIGHT / 2, y2: y + LANE_HEIGHT / 2}, root)
    const label = svg('text', {class: 'lane-label', x: labelWidth - TEXT_PAD, y: y + LANE_HEIGHT / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle'}, root)
    label.textContent = lane.label
  }

  for (const item of items) {
    const y = laneY(item.lane)
    const x0 = X(item.start)
    const barWidth = Math.max(4, X(item.end) - x0)
    if (item.annotation) {
      const annotation = item.annotation
      const group = svg('g', {class: 'annotation'}, root)
      const rect = svg('rect', {x: x0, y: y + 3, width: barWidth, height: LANE_HEIGHT - 6, rx: 3}, group)
      if (annotation.backgroundColor) {
        rect.style.fill = annotation.backgroundColor
      }
      const label = svg('text', {x: x0 + TEXT_PAD, y: y + LANE_HEIGHT / 2, 'dominant-baseline': 'middle'}, group)
      label.textContent = item.label
      if (annotation.textColor) {
        label.style.fill = annotation.textColor
      }
      hover(group, () => [annotation.description, annotation.details, `${annotation.call} .. ${annotation.return}`].filter(Boolean).join('\n'))
      continue
    }
    const operation = operations[item.op]
    const status = blockedShown.has(item.op) ? 'illegal-next' : stepOf.has(item.op) ? 'op-in' : 'op-out'
    const group = svg('g', {class: `op ${status}`, 'data-op': item.op}, root)
    svg('rect', {x: x0, y, width: barWidth, height: LANE_HEIGHT, rx: 4}, group)
    const label = svg('text', {x: x0 + TEXT_PAD, y: y + TEXT_Y, 'dominant-baseline': 'middle'}, group)
    label.textContent = item.label
    hover(group, () => {
      const lines = [operation.description, `client ${operation.client}, history index ${operation.index}`, `call ${operation.call}, return ${operation.return}`]
      if (stepOf.has(item.op)) {
        const position = stepOf.get(item.op)
        lines.push(`step ${position + 1} of the linearization shown; state after: ${shown[position].state}`)
      } else if (blockedShown.has(item.op)) {
        lines.push('cannot be linearized next: its output does not follow from the state after the steps shown')
      } else {
        lines.push('not in the linearization shown (click for the longest that has it)')
      }
      return lines.join('\n')
    })
    group.addEventListener('click', () => {
      let best = -1
      for (const [li] of analysis.positions[item.op]) {
        if (best < 0 || lins[li].length > lins[best].length) {
          best = li
        }
      }
      if (best >= 0 && best !== view.linearization) {
        choose(best)
      }
    })
  }

  // The linearization shown: a point in each of its operations' bars, joined in order.
  const points = placed.points[view.linearization] ?? []
  const centre = (op) => laneY('c' + operations[op].client) + POINT_Y
  if (shown.length > 1) {
    const path = shown.map((step, m) => `${m === 0 ? 'M' : 'L'}${labelWidth + points[m]},${centre(step.op)}`).join(' ')
    svg('path', {class: 'lp-path', d: path}, root)
  }
  for (const [m, step] of shown.entries()) {
    const point = svg('circle', {class: 'lp', cx: labelWidth + points[m], cy: centre(step.op), r: 5}, root)
    hover(point, () => `step ${m + 1}: ${operations[step.op].description}\nstate after: ${step.state}`)
  }
  if (lins.length > 0) {
    for (const [op, x] of placed.blockedX[view.linearization]) {
      const point = svg('circle', {class: 'illegal-point', cx: labelWidth + x, cy: centre(op), r: 5}, root)
      hover(point, () => `${operations[op].description}\ncannot come after step ${shown.length}`)
    }
  } else if (partition.result === 'Illegal') {
    // Not even a first step: every operation that could be first is refused.
    for (const op of couldBeFirst) {
      const operation = operations[op]
      const point = svg('circle', {class: 'illegal-point', cx: X(operation.start) + LP_STEP, cy: centre(op), r: 5}, root)
      hover(point, () => `${operation.description}\ncannot be the first step`)
    }
  }
}
