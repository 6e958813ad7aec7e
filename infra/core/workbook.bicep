// An Azure Monitor workbook over the app's telemetry (queries in ../monitoring/workbook/),
// listed under the Application Insights resource's Workbooks.
param name string
param location string
param tags object = {}
param applicationInsightsId string

var sections = [
  { title: 'Presence pushes by outcome', query: loadTextContent('../monitoring/workbook/pushes.kql'), chart: 'timechart' }
  { title: 'From change notice to accepted push (ms)', query: loadTextContent('../monitoring/workbook/push-lag.kql'), chart: 'timechart' }
  { title: 'Change notices received', query: loadTextContent('../monitoring/workbook/change-notices.kql'), chart: 'timechart' }
  { title: 'Graph and EWS throttling', query: loadTextContent('../monitoring/workbook/throttling.kql'), chart: 'timechart' }
  { title: 'Subscriptions: renewals and lapses', query: loadTextContent('../monitoring/workbook/subscriptions.kql'), chart: 'timechart' }
  { title: 'Failures by cause', query: loadTextContent('../monitoring/workbook/failures.kql'), chart: 'table' }
  { title: 'Credentials: days left', query: loadTextContent('../monitoring/workbook/credentials.kql'), chart: 'table' }
]

var items = concat(
  [
    {
      type: 1
      name: 'intro'
      content: {
        json: '## PHONE-LiNK Calendar Presence\nPushes to PHONE-LiNK, change notices, throttling, subscriptions and failures of this deployment (docs/deploy.md).'
      }
    }
  ],
  map(range(0, length(sections)), i => {
    type: 3
    name: 'query-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: sections[i].title
      query: sections[i].query
      queryType: 0
      resourceType: 'microsoft.insights/components'
      visualization: sections[i].chart
      timeContext: { durationMs: 86400000 }
      size: 0
    }
  })
)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(applicationInsightsId, name)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: name
    category: 'workbook'
    sourceId: applicationInsightsId
    serializedData: string({
      version: 'Notebook/1.0'
      items: items
      isLocked: false
    })
  }
}

output id string = workbook.id
